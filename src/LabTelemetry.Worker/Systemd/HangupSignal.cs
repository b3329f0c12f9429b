using System.Runtime.InteropServices;

namespace LabTelemetry.Worker.Systemd;

/// <summary>
/// SIGHUP, which daemons' users send to mean "reload", would otherwise end the process with status 129. The
/// configuration is read once at start, so we say how to apply a change and carry on.
/// </summary>
internal sealed partial class HangupSignal(ILogger<HangupSignal> logger) : IHostedService, IDisposable
{
    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            Ignored(logger);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _registration?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "SIGHUP: the configuration is read at start only; apply a change with: systemctl restart labtelemetry")]
    private static partial void Ignored(ILogger logger);
}
