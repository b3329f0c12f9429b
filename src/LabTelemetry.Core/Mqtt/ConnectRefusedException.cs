using MQTTnet;

namespace LabTelemetry.Core.Mqtt;

/// <summary>The broker answered the CONNECT with a refusal (bad credentials, not authorised, banned client id…).</summary>
public sealed class ConnectRefusedException(MqttClientConnectResultCode code, string? reason)
    : Exception($"the broker refused the connection: {code}{(string.IsNullOrEmpty(reason) ? string.Empty : $" ({reason})")}")
{
    public MqttClientConnectResultCode Code { get; } = code;

    /// <summary>Throws when the CONNACK is not a success: MQTTnet v5 returns a refusal rather than throwing it.</summary>
    public static void ThrowIfRefused(ConnectAnswer answer)
    {
        if (answer.Code != MqttClientConnectResultCode.Success)
        {
            throw new ConnectRefusedException(answer.Code, answer.ReasonString);
        }
    }
}
