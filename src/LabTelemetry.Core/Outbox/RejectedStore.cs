namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Where readings the broker will never take (too large, an invalid topic) are kept for a person to see: records of
/// the log's own format one after another in <c>rejected/readings.log</c> of the outbox directory.
/// </summary>
internal sealed class RejectedStore(string outboxDirectory, bool durable)
{
    public const string DirectoryName = "rejected";

    private const string FileName = "readings.log";

    private long _count;

    public string Path { get; } = System.IO.Path.Combine(outboxDirectory, DirectoryName, FileName);

    /// <summary>Gets how many readings were set aside this run, kept or not.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Appends the record; returns where it is kept, or <see langword="null"/> when it could not be (a full disk).</summary>
    public string? Keep(ReadOnlySpan<byte> record)
    {
        Interlocked.Increment(ref _count);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
            file.Write(record);
            file.Flush(flushToDisk: durable);
            return Path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
