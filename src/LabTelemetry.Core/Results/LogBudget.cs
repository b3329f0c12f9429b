namespace LabTelemetry.Core.Results;

/// <summary>
/// At most <c>perSecond</c> log events per second; the rest are counted, so a flood of RESULT messages costs
/// one summary line a second instead of filling the journal and the CPU.
/// </summary>
public sealed class LogBudget(int perSecond, TimeProvider timeProvider)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    // Windows are timed on the monotonic clock: a wall clock stepped back by NTP would keep one window open for days.
    private long _windowStart = timeProvider.GetTimestamp();
    private int _used;

    /// <summary>Gets how many events were refused since the last <see cref="TakeSuppressed"/>.</summary>
    public int Suppressed { get; private set; }

    /// <summary>Takes one event from this second's budget; <see langword="false"/> (and counted) when it is spent.</summary>
    public bool TryTake()
    {
        StartNewWindowIfDue();
        if (_used < perSecond)
        {
            _used++;
            return true;
        }

        Suppressed++;
        return false;
    }

    /// <summary>Returns the count of refused events once their second is over, and starts counting again.</summary>
    public int TakeSuppressed()
    {
        if (Suppressed == 0 || timeProvider.GetElapsedTime(_windowStart) < Window)
        {
            return 0;
        }

        int suppressed = Suppressed;
        Suppressed = 0;
        StartNewWindowIfDue();
        return suppressed;
    }

    private void StartNewWindowIfDue()
    {
        if (timeProvider.GetElapsedTime(_windowStart) >= Window)
        {
            _windowStart = timeProvider.GetTimestamp();
            _used = 0;
        }
    }
}
