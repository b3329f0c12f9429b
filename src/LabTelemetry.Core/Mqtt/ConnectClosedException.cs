namespace LabTelemetry.Core.Mqtt;

/// <summary>The server closed the connection after our CONNECT without sending a CONNACK.</summary>
public sealed class ConnectClosedException(string broker, Exception inner)
    : Exception($"{broker} closed the connection without answering the MQTT CONNECT", inner);
