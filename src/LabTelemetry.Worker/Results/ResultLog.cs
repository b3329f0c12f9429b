namespace LabTelemetry.Worker.Results;

internal static partial class ResultLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "RESULT for our group {Group} on {Topic}: {Payload}")]
    public static partial void ForOurGroup(ILogger logger, string topic, string group, string payload);

    [LoggerMessage(EventId = 101, Message = "RESULT for another group on {Topic}: {Payload}")]
    public static partial void ForAnotherGroup(ILogger logger, LogLevel level, string topic, string payload);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "{Suppressed} RESULT message(s) not logged: more than {PerSecond} a second (Results:MaxLoggedPerSecond)")]
    public static partial void Suppressed(ILogger logger, int suppressed, int perSecond);
}
