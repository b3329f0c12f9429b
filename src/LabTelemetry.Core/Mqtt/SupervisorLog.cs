namespace LabTelemetry.Core.Mqtt;

internal static partial class SupervisorLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Connecting to {Broker} as {ClientId}")]
    public static partial void Connecting(ILogger logger, string broker, string clientId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connecting to {Broker} failed (attempt {Attempt}): {Problem}; next attempt in {DelaySeconds:0.#} s")]
    public static partial void ConnectFailed(ILogger logger, string broker, int attempt, string problem, double delaySeconds);
}
