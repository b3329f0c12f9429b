using System.Globalization;
using LabTelemetry.Core.Health;
using Microsoft.Extensions.Hosting.Systemd;

namespace LabTelemetry.Worker.Systemd;

/// <summary>
/// Feeds systemd's watchdog at half the interval it asks for, only while <see cref="Liveness"/> says every loop makes
/// progress, so that a hung loop gets us restarted; <c>UseSystemd()</c> never sends WATCHDOG=1.
/// </summary>
internal sealed partial class WatchdogFeeder(Liveness liveness, ISystemdNotifier notifier, TimeProvider timeProvider, ILogger<WatchdogFeeder> logger) : BackgroundService
{
    private bool _starving;

    /// <summary>Gets the watchdog timeout systemd set for this process, or <see langword="null"/> without one.</summary>
    public static TimeSpan? Timeout()
    {
        // WATCHDOG_PID, when set, names the process meant; a child started from the service is not it.
        if (Environment.GetEnvironmentVariable("WATCHDOG_PID") is { Length: > 0 } pid && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out long usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Timeout() is not { } timeout || !notifier.IsEnabled)
        {
            return;
        }

        await FeedAsync(timeout, stoppingToken).ConfigureAwait(false);
    }

    /// <summary>Feeds at once, then every half <paramref name="timeout"/>: one late tick still lands inside the timeout.</summary>
    internal async Task FeedAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        Log.Watchdog(logger, timeout);
        using var timer = new PeriodicTimer(timeout / 2, timeProvider);
        do
        {
            FeedIfAlive();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Sends WATCHDOG=1 when every loop is alive; <see langword="false"/> (logged once) when one has stalled.</summary>
    internal bool FeedIfAlive()
    {
        if (liveness.FirstStalled() is { } stalled)
        {
            if (!_starving)
            {
                Log.Starving(logger, stalled.Loop, stalled.Quiet);
                _starving = true;
            }

            return false;
        }

        _starving = false;
        notifier.Notify(new ServiceState("WATCHDOG=1"));
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Feeding the systemd watchdog (timeout {Timeout}) while the loops make progress")]
        public static partial void Watchdog(ILogger logger, TimeSpan timeout);

        [LoggerMessage(Level = LogLevel.Critical, Message = "Not feeding the watchdog: {Loop} has made no progress for {Quiet}; systemd will restart the service")]
        public static partial void Starving(ILogger logger, string loop, TimeSpan quiet);
    }
}
