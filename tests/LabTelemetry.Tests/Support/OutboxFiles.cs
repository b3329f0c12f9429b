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
