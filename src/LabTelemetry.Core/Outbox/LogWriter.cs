namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Writes readings into the log; while it cannot (a full disk, a read-only remount, an I/O error) holds up to
/// <c>Outbox:MaxInMemory</c> of them in memory, and writes them in, in order, when it can again.
/// </summary>
internal sealed partial class LogWriter(SegmentFiles segments, OutboxIndex index, int maxInMemory, string directory, TimeProvider timeProvider, ILogger logger)
{
    // How often a log that could not be written is tried again: each try on a full disk writes until it is full.
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(5);

    // Not thread-safe: the outbox holds its lock around every use.
    private long _dropped;
    private bool _failing;
    private long _lastTry;

    /// <summary>Writes the reading into the log (or holds it) and indexes it.</summary>
    public void Write(OutboxMessage message)
    {
        byte[] record = OutboxRecord.Encode(message);
        if (!_failing || timeProvider.GetElapsedTime(_lastTry) >= RetryEvery)
        {
            try
            {
                if (_failing)
                {
                    // The older first: the log keeps the readings' order.
                    index.WriteHeld(held => Append(held.Held!, OutboxRecord.Encode(held.Held!)));
                    _failing = false;
                    Log.Writable(logger, directory);
                }

                index.Add(Append(message, record));
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _lastTry = timeProvider.GetTimestamp();
                if (!_failing)
                {
                    _failing = true;
                    Log.Failed(logger, directory, ex.Message, maxInMemory);
                }
            }
        }

        index.Add(new OutboxEntry(message.Sequence, null, 0, record.Length, message));
        if (index.Held > maxInMemory)
        {
            index.DropOldestHeld();
            if (++_dropped == 1 || _dropped % 1000 == 0)
            {
                Log.DroppedHeld(logger, maxInMemory, _dropped);
            }
        }
    }

    private OutboxEntry Append(OutboxMessage message, byte[] record)
    {
        var segment = segments.For(record.Length, message.Sequence);
        return new OutboxEntry(message.Sequence, segment, segment.Append(record), record.Length);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write readings to the outbox {Directory} ({Problem}): they still go to the broker, held in memory meanwhile (at most {MaxInMemory}, Outbox:MaxInMemory) and lost if the service stops before the disk takes them; free some space or fix the disk")]
        public static partial void Failed(ILogger logger, string directory, string problem, int maxInMemory);

        [LoggerMessage(Level = LogLevel.Information, Message = "Writing readings to the outbox {Directory} works again; those held in memory are in the log now")]
        public static partial void Writable(ILogger logger, string directory);

        [LoggerMessage(Level = LogLevel.Warning, Message = "More readings wait than memory may hold ({MaxInMemory}, Outbox:MaxInMemory) while the outbox cannot be written: dropping the oldest of them; {Dropped} dropped so far")]
        public static partial void DroppedHeld(ILogger logger, int maxInMemory, long dropped);
    }
}
