using System.Buffers;

namespace LabTelemetry.Core.Outbox;

/// <summary>Reads a segment back at start, record by record, stepping over damage a power cut left.</summary>
internal static class SegmentScanner
{
    /// <summary>
    /// Reads every whole record in order. Damage (a torn append, a block of zeros, bytes that are no record) is stepped
    /// over to the next whole record after it, so readings synced later are kept and their numbers not reused; damage
    /// with no whole record after it is the torn tail, which is cut (zeroed) so new records follow the last good one.
    /// Returns what was damaged, if anything.
    /// </summary>
    public static string? Scan(LogSegment segment, Action<OutboxMessage, long, int> record)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)segment.Capacity);
        try
        {
            int read = segment.ReadAll(buffer);
            var data = buffer.AsSpan(0, read);
            long offset = LogSegment.HeaderBytes;
            long previous = segment.FirstSequence - 1;
            string? damage = null;
            while (offset < data.Length)
            {
                var frame = OutboxRecord.Read(data[(int)offset..], out var message, out int length, out string? problem);
                bool zerosToTheEnd = frame == RecordFrame.End && data[(int)offset..].IndexOfAnyExcept((byte)0) < 0;
                if (zerosToTheEnd)
                {
                    break;
                }

                if (frame == RecordFrame.Record && message!.Sequence > previous)
                {
                    record(message, offset, length);
                    previous = message.Sequence;
                    offset += length;
                    continue;
                }

                problem ??= frame == RecordFrame.End ? "a block of zeros" : $"sequence {message!.Sequence} after {previous}";
                if (NextRecord(data, offset + 1, previous) is { } next)
                {
                    damage = $"{problem} at byte {offset}; stepped over {next - offset} bytes to the next whole record";
                    offset = next;
                    continue;
                }

                int last = data[(int)offset..].LastIndexOfAnyExcept((byte)0);
                segment.CutAt(offset, last + 1);
                return $"{problem} at byte {offset}; cut {last + 1} bytes";
            }

            segment.ResumeAt(offset);
            return damage;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The place of the next whole record after damage, one that continues the numbering, or null.
    private static long? NextRecord(ReadOnlySpan<byte> data, long from, long previous)
    {
        for (long offset = from; offset + RecordLayout.MinRecordBytes <= data.Length; offset++)
        {
            if (data[(int)offset] == RecordLayout.MagicFirstByte
                && OutboxRecord.Read(data[(int)offset..], out var message, out _, out _) == RecordFrame.Record
                && message!.Sequence > previous)
            {
                return offset;
            }
        }

        return null;
    }
}
