namespace LabTelemetry.Core.Telemetry;

/// <summary>
/// Runs a tick at once, then at fixed multiples of an interval; after a tick that overran, one late tick at once for
/// all it missed, then the multiples again (as <see cref="PeriodicTimer"/> does).
/// </summary>
internal static class TickSchedule
{
    // On the real clock a thread of its own sleeps in the kernel until each tick and runs it there: .NET's timers
    // wake a timer thread that hands the tick to a pool thread, which wakes another (measured at 10 Hz: 8 of 20 context
    // switches a reading, a quarter of the CPU). Any other TimeProvider (the tests' fake time) gets a PeriodicTimer.
    public static Task RunAsync(TimeSpan interval, TimeProvider timeProvider, Action tick, string name, CancellationToken stoppingToken) =>
        timeProvider == TimeProvider.System
            ? OnOwnThreadAsync(interval, tick, name, stoppingToken)
            : OnTimerAsync(interval, timeProvider, tick, stoppingToken);

    /// <summary>
    /// After tick number <paramref name="ticked"/> (the first is 0), <paramref name="elapsed"/> after the first: the
    /// number of the next tick and how long to wait for it, zero when one or more were missed (they count as one).
    /// </summary>
    internal static (long Next, TimeSpan Wait) Next(long ticked, TimeSpan interval, TimeSpan elapsed)
    {
        long due = ticked + 1;
        return elapsed.Ticks >= interval.Ticks * due
            ? (elapsed.Ticks / interval.Ticks, TimeSpan.Zero)
            : (due, TimeSpan.FromTicks((interval.Ticks * due) - elapsed.Ticks));
    }

    private static async Task OnTimerAsync(TimeSpan interval, TimeProvider timeProvider, Action tick, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, timeProvider);
        do
        {
            tick();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private static Task OnOwnThreadAsync(TimeSpan interval, Action tick, string name, CancellationToken stoppingToken)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                long start = TimeProvider.System.GetTimestamp();
                long ticked = 0;
                while (!stoppingToken.IsCancellationRequested)
                {
                    // A tick's work is synchronous (the outbox append, the sender's publish up to its first wait);
                    // waiting here for anything else blocks only this thread.
                    tick();
                    (ticked, var wait) = Next(ticked, interval, TimeProvider.System.GetElapsedTime(start));
                    stoppingToken.WaitHandle.WaitOne(wait);
                }

                stopped.TrySetResult();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                stopped.TrySetResult();
            }
            catch (Exception ex)
            {
                stopped.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return stopped.Task;
    }
}
