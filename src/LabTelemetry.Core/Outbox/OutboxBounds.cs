namespace LabTelemetry.Core.Outbox;

/// <summary>
/// How much may wait: at most <c>Outbox:MaxMessages</c> readings and <c>Outbox:MaxBytes</c> of records (the newest
/// always stays, however large). Beyond them the oldest are dropped, with a warning at the first and every thousandth.
/// </summary>
internal sealed partial class OutboxBounds(int maxMessages, long maxBytes, ILogger logger)
{
    private long _dropped;

    /// <summary>Whether the waiting readings are beyond the bounds, so the oldest must go.</summary>
    public bool Exceeded(OutboxIndex index) => index.Count > maxMessages || (index.Bytes > maxBytes && index.Count > 1);

    /// <summary>Counts <paramref name="dropped"/> more readings dropped, and says so when it is time.</summary>
    public void Dropped(int dropped)
    {
        if (dropped == 0)
        {
            return;
        }

        long total = _dropped += dropped;
        if (total == dropped || total / 1000 != (total - dropped) / 1000)
        {
            Log.Dropped(logger, maxMessages, maxBytes, total);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox full ({MaxMessages} readings or {MaxBytes} bytes, Outbox:MaxMessages and Outbox:MaxBytes): dropping the oldest; {Dropped} dropped so far")]
        public static partial void Dropped(ILogger logger, int maxMessages, long maxBytes, long dropped);
    }
}
