using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using static LabTelemetry.Core.Outbox.RecordLayout;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// One <see cref="OutboxMessage"/> as the log holds it (<see cref="RecordLayout"/>). Length and CRC find a record
/// torn by a power cut; the zeros of the preallocated space after the last record end the log.
/// </summary>
public static class OutboxRecord
{
    /// <summary>A reading is about a hundred bytes: a length beyond this is damage, not a record to read into memory.</summary>
    public const int MaxBodyBytes = 1 << 20;

    public static byte[] Encode(OutboxMessage message)
    {
        byte[] topic = Encoding.UTF8.GetBytes(message.Topic);
        int body = BodyHeader + topic.Length + message.Payload.Length;
        byte[] record = new byte[FrameBytes + body];
        var span = record.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(span[MagicOffset..], Magic);
        BinaryPrimitives.WriteInt32BigEndian(span[LengthOffset..], body);
        BinaryPrimitives.WriteInt64BigEndian(span[SequenceOffset..], message.Sequence);
        span[QosOffset] = (byte)message.Qos;
        BinaryPrimitives.WriteInt64BigEndian(span[TakenAtOffset..], message.TakenAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt16BigEndian(span[TopicLengthOffset..], (ushort)topic.Length);
        topic.CopyTo(span[TopicOffset..]);
        message.Payload.CopyTo(span[(TopicOffset + topic.Length)..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[^CrcBytes..], Crc32.HashToUInt32(span[LengthOffset..^CrcBytes]));
        return record;
    }

    /// <summary>Reads the record at the start of <paramref name="data"/>; <paramref name="length"/> is its size on disk.</summary>
    public static RecordFrame Read(ReadOnlySpan<byte> data, out OutboxMessage? message, out int length, out string? problem)
    {
        message = null;
        length = 0;
        problem = null;
        if (data.Length < SequenceOffset || BinaryPrimitives.ReadUInt32BigEndian(data) != Magic)
        {
            if (data[..Math.Min(data.Length, SequenceOffset)].IndexOfAnyExcept((byte)0) < 0)
            {
                return RecordFrame.End;
            }

            problem = data.Length < SequenceOffset ? $"{data.Length} bytes, shorter than a record's frame" : "not an outbox record";
            return RecordFrame.Damaged;
        }

        int body = BinaryPrimitives.ReadInt32BigEndian(data[LengthOffset..]);
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
        if (BinaryPrimitives.ReadUInt32BigEndian(record[^CrcBytes..]) != Crc32.HashToUInt32(record[LengthOffset..^CrcBytes]))
        {
            problem = "CRC mismatch";
            return RecordFrame.Damaged;
        }

        int topicLength = BinaryPrimitives.ReadUInt16BigEndian(record[TopicLengthOffset..]);
        if (BodyHeader + topicLength > body)
        {
            problem = "a topic longer than its record";
            return RecordFrame.Damaged;
        }

        message = new OutboxMessage(
            BinaryPrimitives.ReadInt64BigEndian(record[SequenceOffset..]),
            Encoding.UTF8.GetString(record.Slice(TopicOffset, topicLength)),
            record[(TopicOffset + topicLength)..^CrcBytes].ToArray(),
            record[QosOffset],
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(record[TakenAtOffset..])));
        length = record.Length;
        return RecordFrame.Record;
    }
}
