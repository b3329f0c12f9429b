using LabTelemetry.Core.Outbox;

namespace LabTelemetry.Tests.Support;

/// <summary>Reads what an outbox directory holds without opening it as the worker does (no recovery, no writes): safe beside a running worker.</summary>
internal static class OutboxFiles
{
    private const int SegmentHeader = 16;

    /// <summary>Every whole record in the log's segments, oldest first, acknowledged or not.</summary>
    public static List<OutboxMessage> Records(string directory)
    {
        var records = new List<OutboxMessage>();
        foreach (string segment in Directory.GetFiles(directory, "outbox-*.log").Order(StringComparer.Ordinal))
        {
            byte[] bytes;
            using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
            }

            for (int offset = SegmentHeader; offset < bytes.Length;)
            {
                if (OutboxRecord.Read(bytes.AsSpan(offset), out var message, out int length, out _) != RecordFrame.Record)
                {
                    break;
                }

                records.Add(message!);
                offset += length;
            }
        }

        return records;
    }
}

/// <summary>What an open outbox holds, asked as its sender asks: oldest first, one after another.</summary>
internal static class OutboxContents
{
    /// <summary>The sequence numbers of the readings that wait, oldest first.</summary>
    public static long[] Waiting(this DiskOutbox outbox)
    {
        var waiting = new List<long>();
        for (var next = outbox.PeekAfter(0); next is not null; next = outbox.PeekAfter(next.Sequence))
        {
            waiting.Add(next.Sequence);
        }

        return [.. waiting];
    }

    /// <summary>The number the outbox gives the next reading: appends one (so only at the end of a test) and reads its number.</summary>
    public static long NumberOfTheNextReading(this DiskOutbox outbox)
    {
        outbox.Enqueue("DATA/next", [], 1, DateTimeOffset.UnixEpoch);
        return outbox.Waiting()[^1];
    }
}
