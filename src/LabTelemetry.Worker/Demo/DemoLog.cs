namespace LabTelemetry.Worker.Demo;

internal static partial class DemoLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Demo: built-in broker on 127.0.0.1:{Port}, simulated sensor, grader emulator; Ctrl+C ends it")]
    public static partial void Started(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Grader emulator: listening on DATA/#")]
    public static partial void GraderListening(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Grader emulator: {Topic} is well-formed, answering group {Group} on RESULT")]
    public static partial void GraderAnswered(ILogger logger, string topic, string group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grader emulator: no answer to {Topic}: {Reason} (the course's grader would stay silent too)")]
    public static partial void GraderSilent(ILogger logger, string topic, string reason);
}
