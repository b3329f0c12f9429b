using LabTelemetry.Core.Outbox;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Core.Outbox;

/// <summary>One file of the outbox log: made zero-filled to its capacity, appended to at known offsets, read back, cut.</summary>
public sealed class LogSegmentTests : IDisposable
{
    // A segment's 1 MiB, and its header: "LTSEG1\n\0" then the first sequence number, big-endian.
    private const int Capacity = 1_048_576;
    private const int Header = 16;

    private readonly ScratchDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string PathOf(string name) => Path.Combine(_directory.Path, name);

    // Read beside the segment's own open handle, as a person or a backup would.
    private static byte[] Bytes(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        byte[] bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private void WriteFile(string name, byte[] header, long length)
    {
        using var file = File.Create(PathOf(name));
        file.Write(header);
        file.SetLength(length);
    }

    [Fact]
    public void Create_ZeroFillsToCapacity_WritesItsHeader_AndNamesTheFileByItsFirstSequence()
    {
        using var segment = LogSegment.Create(FileLayer.Disk, _directory.Path, 42, atLeast: 100);

        Assert.Equal(PathOf("outbox-0000000000000000042.log"), segment.Path);
        Assert.Equal([segment.Path], Directory.GetFiles(_directory.Path)); // nothing left aside while it was made
        byte[] bytes = Bytes(segment.Path);
        Assert.Equal(Capacity, bytes.Length);
        Assert.Equal(Capacity, segment.Capacity);
        Assert.Equal(Convert.FromHexString("4C54534547310A00" + "000000000000002A"), bytes[..Header]);
        Assert.Equal(-1, bytes.AsSpan(Header).IndexOfAnyExcept((byte)0));
        Assert.Equal(42, segment.FirstSequence);
        Assert.Equal(Header, segment.End);
    }

    [Fact]
    public void Create_ForARecordLargerThanTheDefault_MakesItsRoomAfterTheHeader()
    {
        using var segment = LogSegment.Create(FileLayer.Disk, _directory.Path, 7, atLeast: 2_000_000);

        Assert.Equal(2_000_016, segment.Capacity);
        Assert.Equal(2_000_016, new FileInfo(segment.Path).Length);
        Assert.True(segment.HasRoomFor(2_000_000));
        Assert.False(segment.HasRoomFor(2_000_001));
    }

    [Fact]
    public void Create_WhereAFileNotOursHasTheName_TakesTheNextVariant_AndLeavesThatFileAlone()
    {
        File.WriteAllText(PathOf("outbox-0000000000000000042.log"), "not ours");

        using var segment = LogSegment.Create(FileLayer.Disk, _directory.Path, 42, atLeast: 100);

        Assert.Equal(PathOf("outbox-0000000000000000042-1.log"), segment.Path);
        Assert.Equal("not ours", File.ReadAllText(PathOf("outbox-0000000000000000042.log")));
    }

    [Fact]
    public void Append_GoesAfterTheLastRecord_AtTheOffsetItReturns_AndReadGivesItBack()
    {
        using var segment = LogSegment.Create(FileLayer.Disk, _directory.Path, 1, atLeast: 100);

        long first = segment.Append("first"u8);
        long second = segment.Append("second record"u8);

        Assert.Equal(16, first);
        Assert.Equal(21, second);
        Assert.Equal(34, segment.End);
        Assert.Equal("first"u8.ToArray(), segment.Read(16, 5));
        Assert.Equal("second record"u8.ToArray(), segment.Read(21, 13));
        Assert.Equal("firstsecond record\0\0"u8.ToArray(), Bytes(segment.Path)[16..36]);
    }

    [Fact]
    public void AFullSegment_HasNoRoomForOneByteMore()
    {
        using var segment = LogSegment.Create(FileLayer.Disk, _directory.Path, 1, atLeast: 100);
        segment.Append(new byte[Capacity - Header - 10]);

        Assert.True(segment.HasRoomFor(10));
        Assert.False(segment.HasRoomFor(11));
        segment.Append(new byte[10]);
        Assert.False(segment.HasRoomFor(1));
        Assert.Equal(Capacity, new FileInfo(segment.Path).Length); // full, and no larger
    }

    [Fact]
    public void Open_OurSegment_GivesItsFirstSequenceAndCapacity_AppendsGoOnWhereTheScanSays()
    {
        string path;
        using (var made = LogSegment.Create(FileLayer.Disk, _directory.Path, 42, atLeast: 100))
        {
            path = made.Path;
            made.Append("abc"u8);
            made.Flush();
        }

        using var segment = LogSegment.Open(FileLayer.Disk, path, 42);

        Assert.NotNull(segment);
        Assert.Equal(42, segment.FirstSequence);
        Assert.Equal(Capacity, segment.Capacity);
        Assert.Equal("abc"u8.ToArray(), segment.Read(16, 3));
        segment.ResumeAt(19);
        Assert.Equal(19, segment.Append("d"u8));
    }

    // Files named like a segment that are not ours: the header's magic, its first sequence, the file's size.
    [Theory]
    [InlineData("4C54534547320A00000000000000002A", 1_048_576, "another magic (LTSEG2)")]
    [InlineData("4C54534547310A00000000000000002B", 1_048_576, "a header naming sequence 43")]
    [InlineData("4C54534547310A00000000000000002A", 10, "shorter than a header")]
    [InlineData("4C54534547310A00000000000000002A", 2_162_689, "larger than a segment of the largest record, 1 MiB + 1 MiB + 64 KiB")]
    public void Open_AFileThatIsNotOurs_IsNull(string header, long length, string why)
    {
        WriteFile("outbox-0000000000000000042.log", Convert.FromHexString(header)[..(int)Math.Min(16, length)], length);

        using var segment = LogSegment.Open(FileLayer.Disk, PathOf("outbox-0000000000000000042.log"), 42);

        Assert.True(segment is null, why);
    }

    [Fact]
    public void Open_AFileOfTheLargestSizeASegmentCanHave_IsOurs()
    {
        WriteFile("outbox-0000000000000000042.log", Convert.FromHexString("4C54534547310A00000000000000002A"), 2_162_688);

        using var segment = LogSegment.Open(FileLayer.Disk, PathOf("outbox-0000000000000000042.log"), 42);

        Assert.NotNull(segment);
        Assert.Equal(2_162_688, segment.Capacity);
    }

    [Fact]
    public void CutAt_ZeroesTheTailOnDisk_AndAppendsGoOnFromThere()
    {
        using var segment = LogSegment.Create(FileLayer.Disk, _directory.Path, 1, atLeast: 100);
        segment.Append("good"u8);
        segment.Append("torn tail"u8);

        segment.CutAt(20, 9);

        Assert.Equal(20, segment.End);
        Assert.Equal("good\0\0\0\0\0\0\0\0\0"u8.ToArray(), Bytes(segment.Path)[16..29]);
        Assert.Equal(20, segment.Append("new"u8));
        Assert.Equal("goodnew\0"u8.ToArray(), Bytes(segment.Path)[16..24]);
    }

    [Fact]
    public void Delete_RemovesTheFile()
    {
        var segment = LogSegment.Create(FileLayer.Disk, _directory.Path, 1, atLeast: 100);

        segment.Delete();

        Assert.Empty(Directory.GetFiles(_directory.Path));
    }
}
