using System.Buffers.Binary;
using LabTelemetry.Core.Outbox;

namespace LabTelemetry.Tests.Core.Outbox;

public class OutboxRecordTests
{
    private static readonly OutboxMessage Message = new(7, "DATA/b8:27:eb:12:34:56", "{\"temperature\": 21.5}"u8.ToArray(), 1, DateTimeOffset.FromUnixTimeMilliseconds(1_795_600_000_123));

    [Fact]
    public void Read_WhatEncodeWrote_GivesTheMessageBack_AndItsLength()
    {
        byte[] record = OutboxRecord.Encode(Message);

        Assert.Equal(RecordFrame.Record, OutboxRecord.Read(record, out var read, out int length, out _));
        Assert.Equal(record.Length, length);
        Assert.Equal(7, read!.Sequence);
        Assert.Equal(Message.Topic, read.Topic);
        Assert.Equal(Message.Payload, read.Payload);
        Assert.Equal(Message.Qos, read.Qos);
        Assert.Equal(Message.TakenAt, read.TakenAt);
    }

    [Fact]
    public void Read_OneFlippedBit_IsDamage_ACrcMismatch()
    {
        byte[] record = OutboxRecord.Encode(Message);
        record[30] ^= 0x01;

        Assert.Equal(RecordFrame.Damaged, OutboxRecord.Read(record, out _, out _, out string? problem));
        Assert.Equal("CRC mismatch", problem);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(40)]
    public void Read_TornRecord_IsDamage(int keptBytes)
    {
        byte[] torn = OutboxRecord.Encode(Message)[..keptBytes];

        Assert.Equal(RecordFrame.Damaged, OutboxRecord.Read(torn, out _, out _, out string? problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void Read_Zeros_AreTheEndOfTheLog()
    {
        // The preallocated space after the last record.
        Assert.Equal(RecordFrame.End, OutboxRecord.Read(new byte[64], out _, out _, out _));
    }

    [Fact]
    public void Read_AHugeLength_IsDamage_NotAnAllocation()
    {
        byte[] record = OutboxRecord.Encode(Message);
        BinaryPrimitives.WriteInt32BigEndian(record.AsSpan(4), int.MaxValue);

        Assert.Equal(RecordFrame.Damaged, OutboxRecord.Read(record, out _, out _, out string? problem));
        Assert.Contains("record length", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TheFormatAsWrittenByThisVersion_StaysReadable()
    {
        // Bytes fixed here, not made by Encode: a change of the on-disk format must be a decision, not an accident.
        byte[] record = Convert.FromHexString(
            "4C545232" + "00000021" + "0000000000000007" + "01" + "000001A2FDD6B2BB" + "0006" + "444154412F78" + "7B2274223A20317D" + "CF519751");

        var frame = OutboxRecord.Read(record, out var message, out _, out string? problem);

        // The CRC-32 (zlib's, big-endian) of length and body, computed apart from this code.
        Assert.True(frame == RecordFrame.Record, problem);
        Assert.Equal(7, message!.Sequence);
        Assert.Equal("DATA/x", message.Topic);
        Assert.Equal("{\"t\": 1}", System.Text.Encoding.UTF8.GetString(message.Payload));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(0x1A2FDD6B2BB), message.TakenAt);
    }
}
