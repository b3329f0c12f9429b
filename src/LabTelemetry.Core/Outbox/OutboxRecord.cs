using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace LabTelemetry.Core.Outbox;

/// <summary>What <see cref="OutboxRecord.Read"/> found at a place in a segment.</summary>
public enum RecordFrame
{
    /// <summary>A whole record whose CRC holds.</summary>
    Record,

    /// <summary>Zeros: the preallocated space after the last record.</summary>
    End,

    /// <summary>A record cut short (the power went while it was written), or bytes that are no record.</summary>
    Damaged,
}

/// <summary>
/// One <see cref="OutboxMessage"/> as the log holds it: <c>magic | length | body | CRC-32</c>, the body being
/// sequence, QoS, time taken, topic and payload. Length and CRC find a record torn by a power cut; the zeros of the
/// preallocated space after the last record end the log.
/// </summary>
public static class OutboxRecord
{
    /// <summary>A reading is about a hundred bytes: a length beyond this is damage, not a record to read into memory.</summary>
    public const int MaxBodyBytes = 1 << 20;

    private const uint Magic = 0x4C54_5232; // "LTR2"
    private const int FrameBytes = 4 + 4 + 4;
    private const int BodyHeader = 8 + 1 + 8 + 2;
    private const uint LegacyMagic = 0x4C54_4F31; // "LTO1", one file per reading, before the log
    private const int LegacyHeader = 4 + 1 + 8 + 2 + 4;

    public static byte[] Encode(OutboxMessage message)
    {
        byte[] topic = Encoding.UTF8.GetBytes(message.Topic);
        int body = BodyHeader + topic.Length + message.Payload.Length;
        byte[] record = new byte[FrameBytes + body];
        var span = record.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(span, Magic);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], body);
        BinaryPrimitives.WriteInt64BigEndian(span[8..], message.Sequence);
        span[16] = (byte)message.Qos;
        BinaryPrimitives.WriteInt64BigEndian(span[17..], message.TakenAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt16BigEndian(span[25..], (ushort)topic.Length);
        topic.CopyTo(span[27..]);
        message.Payload.CopyTo(span[(27 + topic.Length)..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[^4..], Crc32.HashToUInt32(span[4..^4]));
        return record;
    }

    /// <summary>Reads the record at the start of <paramref name="data"/>; <paramref name="length"/> is its size on disk.</summary>
    public static RecordFrame Read(ReadOnlySpan<byte> data, out OutboxMessage? message, out int length, out string? problem)
    {
        message = null;
        length = 0;
        problem = null;
        if (data.Length < 8 || BinaryPrimitives.ReadUInt32BigEndian(data) != Magic)
        {
            if (data[..Math.Min(data.Length, 8)].IndexOfAnyExcept((byte)0) < 0)
            {
                return RecordFrame.End;
            }

            problem = data.Length < 8 ? $"{data.Length} bytes, shorter than a record's frame" : "not an outbox record";
            return RecordFrame.Damaged;
        }

        int body = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
        if (body is < BodyHeader or > MaxBodyBytes)
        {
            problem = $"a record length of {body} bytes";
            return RecordFrame.Damaged;
        }

        if (data.Length < FrameBytes + body)
        {
            problem = $"{data.Length} bytes where the record needs {FrameBytes + body}";
            return RecordFrame.Damaged;
        }

        var record = data[..(FrameBytes + body)];
        if (BinaryPrimitives.ReadUInt32BigEndian(record[^4..]) != Crc32.HashToUInt32(record[4..^4]))
        {
            problem = "CRC mismatch";
            return RecordFrame.Damaged;
        }

        int topicLength = BinaryPrimitives.ReadUInt16BigEndian(record[25..]);
        if (BodyHeader + topicLength > body)
        {
            problem = "a topic longer than its record";
            return RecordFrame.Damaged;
        }

        message = new OutboxMessage(
            BinaryPrimitives.ReadInt64BigEndian(record[8..]),
            Encoding.UTF8.GetString(record.Slice(27, topicLength)),
            record[(27 + topicLength)..^4].ToArray(),
            record[16],
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(record[17..])));
        length = record.Length;
        return RecordFrame.Record;
    }

    /// <summary>
    /// A reading in the format before the log (one <c>.msg</c> file each), read once so that an update moves what
    /// waited into the log; <see langword="null"/> when the file is torn or no such record.
    /// </summary>
    public static OutboxMessage? ReadLegacy(ReadOnlySpan<byte> record)
    {
        if (record.Length < LegacyHeader + 4 || BinaryPrimitives.ReadUInt32BigEndian(record) != LegacyMagic)
        {
            return null;
        }

        int topicLength = BinaryPrimitives.ReadUInt16BigEndian(record[13..]);
        long payloadLength = BinaryPrimitives.ReadInt32BigEndian(record[15..]);
        if (LegacyHeader + topicLength + payloadLength + 4 != record.Length
            || BinaryPrimitives.ReadUInt32BigEndian(record[^4..]) != Crc32.HashToUInt32(record[..^4]))
        {
            return null;
        }

        return new OutboxMessage(
            0,
            Encoding.UTF8.GetString(record.Slice(LegacyHeader, topicLength)),
            record.Slice(LegacyHeader + topicLength, (int)payloadLength).ToArray(),
            record[4],
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(record[5..])));
    }
}
