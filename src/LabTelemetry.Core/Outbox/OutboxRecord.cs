using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// The on-disk form of one <see cref="OutboxMessage"/>: a magic number, QoS, timestamp, topic, payload and a
/// CRC-32 over all of it, so a record torn by a power cut is recognised and skipped instead of sent.
/// </summary>
public static class OutboxRecord
{
    private const uint Magic = 0x4C54_4F31; // "LTO1"
    private const int HeaderLength = 4 + 1 + 8 + 2 + 4;
    private const int CrcLength = 4;

    public static byte[] Encode(OutboxMessage message)
    {
        byte[] topic = Encoding.UTF8.GetBytes(message.Topic);
        byte[] record = new byte[HeaderLength + topic.Length + message.Payload.Length + CrcLength];
        var span = record.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(span, Magic);
        span[4] = (byte)message.Qos;
        BinaryPrimitives.WriteInt64BigEndian(span[5..], message.TakenAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt16BigEndian(span[13..], (ushort)topic.Length);
        BinaryPrimitives.WriteInt32BigEndian(span[15..], message.Payload.Length);
        topic.CopyTo(span[HeaderLength..]);
        message.Payload.CopyTo(span[(HeaderLength + topic.Length)..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[^CrcLength..], Crc32.HashToUInt32(span[..^CrcLength]));
        return record;
    }

    /// <summary>Decodes a record; <see langword="null"/> with a reason when it is torn or corrupt.</summary>
    public static OutboxMessage? Decode(long sequence, ReadOnlySpan<byte> record, out string? problem)
    {
        problem = Check(record);
        if (problem is not null)
        {
            return null;
        }

        int topicLength = BinaryPrimitives.ReadUInt16BigEndian(record[13..]);
        int payloadLength = BinaryPrimitives.ReadInt32BigEndian(record[15..]);
        return new OutboxMessage(
            sequence,
            Encoding.UTF8.GetString(record.Slice(HeaderLength, topicLength)),
            record.Slice(HeaderLength + topicLength, payloadLength).ToArray(),
            record[4],
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(record[5..])));
    }

    private static string? Check(ReadOnlySpan<byte> record)
    {
        if (record.Length < HeaderLength + CrcLength)
        {
            return $"{record.Length} bytes, shorter than a header";
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(record) != Magic)
        {
            return "not an outbox record";
        }

        long expectedLength = HeaderLength + (long)BinaryPrimitives.ReadUInt16BigEndian(record[13..]) + BinaryPrimitives.ReadInt32BigEndian(record[15..]) + CrcLength;
        if (expectedLength != record.Length)
        {
            return $"{record.Length} bytes where the header promises {expectedLength}";
        }

        return BinaryPrimitives.ReadUInt32BigEndian(record[^CrcLength..]) == Crc32.HashToUInt32(record[..^CrcLength]) ? null : "CRC mismatch";
    }
}
