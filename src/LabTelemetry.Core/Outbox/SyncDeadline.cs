namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Syncs the readings the broker has not acknowledged once the oldest of them is <c>Outbox:SyncAfter</c> old, all that
/// wait then in one sync (a group commit), each sync said at debug level as "durable through sequence N".
/// </summary>
/// <param name="gate">The outbox's lock, held around what the callbacks read.</param>
/// <param name="newestInLog">The newest waiting reading that is in the log, or <see langword="null"/>; called under <paramref name="gate"/>.</param>
/// <param name="oldestWaiting">The oldest reading the broker has not acknowledged, or <see langword="null"/>; called under <paramref name="gate"/>.</param>
internal sealed partial class SyncDeadline(TimeSpan syncAfter, object gate, SegmentFiles segments, Func<long?> newestInLog, Func<long?> oldestWaiting, TimeProvider timeProvider, ILogger logger) : IDisposable
{
    // While the broker acknowledges promptly no reading costs a sync; an outage of any length costs one a SyncAfter.
    // Each reading written to the log, with when: the deadline is the oldest unacknowledged one's.
    private readonly Queue<(long Sequence, long WrittenAt)> _written = new();
    private long _lastWritten;
    private ITimer? _timer;
    private bool _armed;
    private bool _failing;

    /// <summary>Gets the watermark: every reading up to it that the broker had not acknowledged is on the device.</summary>
    public long DurableThrough { get; private set; }

    /// <summary>A reading was written (under the gate): the deadline starts, unless one already runs; with a zero <c>SyncAfter</c>, a sync now.</summary>
    public void Written()
    {
        if (syncAfter == TimeSpan.Zero)
        {
            Sync();
            return;
        }

        if (newestInLog() is { } newest && newest > _lastWritten)
        {
            _lastWritten = newest;
            _written.Enqueue((newest, timeProvider.GetTimestamp()));
        }

        if (!_armed)
        {
            Arm(syncAfter);
        }
    }

    // At 10 Hz the deadline one reading set falls just when the next is written, a millisecond before the broker takes
    // it: the sync waits for the oldest reading still unacknowledged to be SyncAfter old, and none is due for the rest.
    private void Due()
    {
        lock (gate)
        {
            _armed = false;
            long oldest = oldestWaiting() ?? long.MaxValue;
            while (_written.Count > 0 && (_written.Peek().Sequence < oldest || _written.Peek().Sequence <= DurableThrough))
            {
                _written.Dequeue();
            }

            if (_written.Count == 0)
            {
                return;
            }

            var left = syncAfter - timeProvider.GetElapsedTime(_written.Peek().WrittenAt);
            if (left > TimeSpan.Zero)
            {
                Arm(left);
                return;
            }
        }

        Sync();
    }

    // Under the gate.
    private void Arm(TimeSpan dueTime)
    {
        _armed = true;
        _timer ??= timeProvider.CreateTimer(_ => Due(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(dueTime, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Syncs what waits and is not on the device yet; the appends go on meanwhile.</summary>
    public void Sync()
    {
        List<(LogSegment Segment, long End)> pending;
        long through;
        lock (gate)
        {
            _armed = false;
            if (newestInLog() is not { } newest || newest <= DurableThrough)
            {
                return;
            }

            pending = segments.Unsynced();
            through = newest;
        }

        try
        {
            foreach (var (segment, _) in pending)
            {
                segment.Flush();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (!_failing)
            {
                _failing = true;
                Log.Failed(logger, ex.Message);
            }

            return;
        }

        lock (gate)
        {
            foreach (var (segment, end) in pending)
            {
                segment.Synced(end);
            }

            DurableThrough = Math.Max(DurableThrough, through);
            while (_written.Count > 0 && _written.Peek().Sequence <= DurableThrough)
            {
                _written.Dequeue();
            }

            _failing = false;
        }

        Log.Durable(logger, through);
    }

    public void Dispose() => _timer?.Dispose();

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Outbox: durable through sequence {Sequence}")]
        public static partial void Durable(ILogger logger, long sequence);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot sync the outbox's readings to the storage device: {Problem}; they are written, and go to the broker, but a power cut may lose those it has not acknowledged")]
        public static partial void Failed(ILogger logger, string problem);
    }
}
