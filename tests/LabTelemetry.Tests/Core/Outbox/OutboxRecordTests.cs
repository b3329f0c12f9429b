using LabTelemetry.Core.Outbox;

namespace LabTelemetry.Tests.Core.Outbox;

public class OutboxRecordTests
{
    private static readonly OutboxMessage Message = new(7, "DATA/b8:27:eb:12:34:56", "{\"temperature\": 21.5}"u8.ToArray(), 1, DateTimeOffset.FromUnixTimeMilliseconds(1_795_600_000_123));

    [Fact]
    public void Decode_WhatEncodeWrote_GivesTheMessageBack()
    {
        var decoded = OutboxRecord.Decode(7, OutboxRecord.Encode(Message), out string? problem);

        Assert.Null(problem);
        Assert.Equal(Message.Topic, decoded!.Topic);
        Assert.Equal(Message.Payload, decoded.Payload);
        Assert.Equal(Message.Qos, decoded.Qos);
        Assert.Equal(Message.TakenAt, decoded.TakenAt);
    }

    [Fact]
    public void Decode_OneFlippedBit_IsACrcMismatch()
    {
        byte[] record = OutboxRecord.Encode(Message);
        record[30] ^= 0x01;

        Assert.Null(OutboxRecord.Decode(7, record, out string? problem));
        Assert.Equal("CRC mismatch", problem);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(40)]
    public void Decode_TornRecord_IsRefused(int keptBytes)
    {
        byte[] torn = OutboxRecord.Encode(Message)[..keptBytes];

        Assert.Null(OutboxRecord.Decode(7, torn, out string? problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void Decode_ZeroFilledFile_IsRefused()
    {
        // What ext4 can leave after a power cut: the right size, all zeros.
        Assert.Null(OutboxRecord.Decode(7, new byte[OutboxRecord.Encode(Message).Length], out string? problem));
        Assert.Equal("not an outbox record", problem);
    }
}
