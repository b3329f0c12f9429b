using MQTTnet;

namespace LabTelemetry.Core.Mqtt;

/// <summary>The broker answered the CONNECT with a refusal (bad credentials, not authorised, banned client id…).</summary>
public sealed class ConnectRefusedException(MqttClientConnectResultCode code, string? reason)
    : Exception($"the broker refused the connection: {code}{(string.IsNullOrEmpty(reason) ? string.Empty : $" ({reason})")}")
{
    public MqttClientConnectResultCode Code { get; } = code;
}
