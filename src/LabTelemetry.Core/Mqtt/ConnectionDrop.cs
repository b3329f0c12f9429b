using MQTTnet;

namespace LabTelemetry.Core.Mqtt;

/// <summary>How a connection ended: the broker's reason (MQTT 5) and how long it had lasted, on the monotonic clock.</summary>
public sealed record ConnectionDrop(MqttClientDisconnectReason Reason, TimeSpan Lasted);
