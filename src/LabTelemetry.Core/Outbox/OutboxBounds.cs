namespace LabTelemetry.Core.Outbox;

/// <summary>
/// How much may wait: at most <c>Outbox:MaxMessages</c> readings and <c>Outbox:MaxBytes</c> of records (the newest
/// always stays, however large). Beyond them the oldest are dropped, with a warning at the first and every thousandth.
/// </summary>
internal sealed partial class OutboxBounds(int maxMessages, long maxBytes, ILogger logger)
{
    private long _dropped;

    /// <summary>Drops the oldest with <paramref name="dropOldest"/> while the waiting readings are beyond the bounds; <see langword="true"/> when any went.</summary>
    public bool Enforce(OutboxIndex index, Action dropOldest)
    {
        int dropped = 0;
        for (; index.Count > maxMessages || (index.Bytes > maxBytes && index.Count > 1); dropped++)
        {
            dropOldest();
        }

        if (dropped == 0)
        {
            return false;
        }

        long total = _dropped += dropped;
        if (total == dropped || total / 1000 != (total - dropped) / 1000)
        {
            Log.Dropped(logger, maxMessages, maxBytes, total);
        }

        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox full ({MaxMessages} readings or {MaxBytes} bytes, Outbox:MaxMessages and Outbox:MaxBytes): dropping the oldest; {Dropped} dropped so far")]
        public static partial void Dropped(ILogger logger, int maxMessages, long maxBytes, long dropped);
    }
}
