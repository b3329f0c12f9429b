using LabTelemetry.Core.Outbox;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Core.Outbox;

/// <summary>A number kept in a file (the acknowledgement mark here): two checksummed slots written in turn, so a torn write leaves the other.</summary>
public sealed class NumberFileTests : IDisposable
{
    // A slot: the sequence (8 bytes, big-endian), the CRC-32 of those 8 bytes (zlib's, big-endian; computed apart from
    // this code, with Python's zlib.crc32), then 4 bytes of zeros.
    private const string Empty = "00000000000000000000000000000000";
    private const string Five = "0000000000000005" + "15482BE6" + "00000000";
    private const string Six = "0000000000000006" + "8C417A5C" + "00000000";
    private const string Seven = "0000000000000007" + "FB464ACA" + "00000000";
    private const string Eight = "0000000000000008" + "6BF9575B" + "00000000";

    private readonly ScratchDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string MarkFile => Path.Combine(_directory.Path, "acked");

    private string Hex() => Convert.ToHexString(File.ReadAllBytes(MarkFile));

    private void Mark(params long[] sequences)
    {
        using var mark = new NumberFile(FileLayer.Disk, _directory.Path, "acked");
        foreach (long sequence in sequences)
        {
            mark.Set(sequence);
        }

        mark.Flush();
    }

    private long Reopened()
    {
        using var mark = new NumberFile(FileLayer.Disk, _directory.Path, "acked");
        return mark.Value;
    }

    [Fact]
    public void ANewMark_IsZero_AndItsFirstSlotWrittenIsTheSecond()
    {
        using (var mark = new NumberFile(FileLayer.Disk, _directory.Path, "acked"))
        {
            Assert.Equal(0, mark.Value);
            mark.Set(5);
            Assert.Equal(5, mark.Value);
        }

        Assert.Equal(Empty + Five, Hex());
    }

    [Fact]
    public void EachSet_GoesToTheOtherSlot_AndReopenReadsTheHigher()
    {
        Mark(5, 6);
        Assert.Equal(Six + Five, Hex());

        Mark(7);
        Assert.Equal(Six + Seven, Hex());
        Assert.Equal(7, Reopened());
    }

    [Fact]
    public void ATornSlot_FallsBackToTheOther_AndTheNextSetGoesOverTheTornOne()
    {
        Mark(5, 6, 7);
        byte[] bytes = File.ReadAllBytes(MarkFile);
        bytes[16 + 7] = 0x17; // the write of 7 torn in its last byte: sequence 23 under 7's CRC
        File.WriteAllBytes(MarkFile, bytes);

        Assert.Equal(6, Reopened());
        Mark(8);
        Assert.Equal(Six + Eight, Hex());
    }

    [Fact]
    public void AFileCutInsideTheSecondSlot_KeepsTheFirst()
    {
        File.WriteAllBytes(MarkFile, Convert.FromHexString(Six + "00000000"));

        Assert.Equal(6, Reopened());
    }

    [Fact]
    public void Set_NeverGoesBack()
    {
        Mark(7, 6);

        Assert.Equal(Empty + Seven, Hex());
        Assert.Equal(7, Reopened());
    }
}
