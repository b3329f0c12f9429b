namespace LabTelemetry.Worker.Systemd;

internal static partial class SystemdLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Feeding the systemd watchdog (timeout {Timeout}) while the loops make progress")]
    public static partial void Watchdog(ILogger logger, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Not feeding the watchdog: {Loop} has made no progress for {Quiet}; systemd will restart the service")]
    public static partial void Starving(ILogger logger, string loop, TimeSpan quiet);
}
