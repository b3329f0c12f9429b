using System.Buffers.Binary;
using System.Text;
using LabTelemetry.Core.Configuration;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Core.Outbox;

/// <summary>The append-only log: order, acknowledgement, recovery after a crash, damage, bounds and what is not ours.</summary>
public sealed class DiskOutboxTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private readonly ScratchDirectory _directory = new();
    private readonly FakeLogger<DiskOutbox> _logger = new();
    private readonly List<DiskOutbox> _opened = [];

    public void Dispose()
    {
        _opened.ForEach(o => o.Dispose());
        _directory.Dispose();
    }

    // A crash is a second instance opening the directory while the first never closed: what a kill -9 leaves.
    private DiskOutbox Open(int maxMessages = 100, long maxBytes = 64 * 1024 * 1024, TimeProvider? time = null)
    {
        var outbox = new DiskOutbox(Options.Create(new OutboxOptions { Directory = _directory.Path, MaxMessages = maxMessages, MaxBytes = maxBytes }), _logger, time);
        _opened.Add(outbox);
        return outbox;
    }

    private static void Add(DiskOutbox outbox, int n) =>
        outbox.Enqueue("DATA/x", Encoding.UTF8.GetBytes($"reading {n}"), 1, At.AddSeconds(n));

    private static async Task<List<string>> DrainAsync(DiskOutbox outbox)
    {
        var payloads = new List<string>();
        while (outbox.Count > 0)
        {
            var message = await outbox.PeekAsync(CancellationToken.None);
            payloads.Add(Encoding.UTF8.GetString(message.Payload));
            outbox.Acknowledge(message.Sequence);
        }

        return payloads;
    }

    // Where Add's records lie in a segment (RecordLayout): magic 4, length 4, sequence 8, QoS 1, time taken 8, topic
    // length 2, topic "DATA/x" 6, payload "reading N" 9, CRC 4: 46 bytes each, after the segment's 16-byte header.
    private const int FirstRecordAt = 16;
    private const int SecondRecordAt = 62;
    private const int ThirdRecordAt = 108;
    private const int ThreeRecordsEndAt = 154;

    /// <summary>Reads the segment that holds readings 1 to 3, checking first that they lie where the offsets above say.</summary>
    private static byte[] ThreeRecords(string segment)
    {
        byte[] bytes = File.ReadAllBytes(segment);
        foreach (int at in new[] { FirstRecordAt, SecondRecordAt, ThirdRecordAt })
        {
            Assert.Equal("LTR2"u8.ToArray(), bytes[at..(at + 4)]);
        }

        Assert.Equal(new byte[64], bytes[ThreeRecordsEndAt..(ThreeRecordsEndAt + 64)]);
        return bytes;
    }

    private string[] Segments() => [.. Directory.GetFiles(_directory.Path, "outbox-*.log").Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Peek_GivesReadingsInTheOrderTheyWereWritten_AndKeepsEachUntilAcknowledged()
    {
        var outbox = Open();
        Add(outbox, 1);
        Add(outbox, 2);

        var first = await outbox.PeekAsync(CancellationToken.None);
        Assert.Equal(first, await outbox.PeekAsync(CancellationToken.None));
        Assert.Equal("reading 2", Encoding.UTF8.GetString(outbox.PeekAfter(first.Sequence)!.Payload));
        outbox.Acknowledge(first.Sequence);

        Assert.Equal("reading 2", Encoding.UTF8.GetString((await outbox.PeekAsync(CancellationToken.None)).Payload));
    }

    [Fact]
    public void EachReading_IsOneAppendToOneFile_NoFilePerReading()
    {
        var outbox = Open();
        for (int i = 1; i <= 50; i++)
        {
            Add(outbox, i);
        }

        Assert.Single(Segments());
        Assert.Equal(3, Directory.GetFileSystemEntries(_directory.Path).Length); // the segment, the acknowledgement mark and the reservation
        Assert.Equal(LogSegmentCapacity, new FileInfo(Segments()[0]).Length); // preallocated: appends change no size
    }

    private const long LogSegmentCapacity = 1 << 20;

    [Fact]
    public async Task Reopen_AfterACrash_FindsEveryUnacknowledgedReadingInOrder()
    {
        var before = Open();
        for (int i = 1; i <= 5; i++)
        {
            Add(before, i);
        }

        before.Acknowledge((await before.PeekAsync(CancellationToken.None)).Sequence);

        var after = Open();
        Assert.Equal(4, after.Count);
        Assert.Equal(["reading 2", "reading 3", "reading 4", "reading 5"], await DrainAsync(after));
    }

    [Fact]
    public async Task SequenceNumbers_GoOnAcrossDrainsAndRestarts_NeverReused()
    {
        var first = Open();
        Add(first, 1);
        Add(first, 2);
        await DrainAsync(first);
        Add(first, 3);
        long third = (await first.PeekAsync(CancellationToken.None)).Sequence;
        await DrainAsync(first);
        first.Dispose();

        var second = Open();
        Add(second, 4);

        Assert.Equal(3, third);
        Assert.Equal(4, (await second.PeekAsync(CancellationToken.None)).Sequence);
    }

    [Fact]
    public async Task SequenceNumbers_AfterACrash_GoOnAfterTheBlockReserved_NeverReused()
    {
        var crashed = Open();
        Add(crashed, 1);
        Add(crashed, 2);
        await DrainAsync(crashed);

        // Not disposed: a crash. The first block reserved 1 to 1024; the next run skips what is left of it.
        var after = Open();
        Add(after, 3);

        Assert.Equal(1025, (await after.PeekAsync(CancellationToken.None)).Sequence);
    }

    [Fact]
    public async Task ASegmentAllAcknowledged_IsDeleted_AndRecoveryDoesNotReadIt()
    {
        var outbox = Open();
        byte[] big = new byte[200_000];
        for (int i = 0; i < 12; i++)
        {
            outbox.Enqueue("DATA/x", big, 1, At);
        }

        // Each record is 200 037 bytes (frame 12, body header 19, topic 6, payload 200 000); a segment's 1 MiB holds
        // 5 after its 16-byte header: readings 1-5, 6-10 and 11-12.
        Assert.Equal(3, Segments().Length);
        for (int i = 0; i < 10; i++)
        {
            outbox.Acknowledge((await outbox.PeekAsync(CancellationToken.None)).Sequence);
        }

        Assert.Equal([Path.Combine(_directory.Path, "outbox-0000000000000000011.log")], Segments());
        var reopened = Open();
        Assert.Equal(2, reopened.Count);
        Assert.Equal(11, (await reopened.PeekAsync(CancellationToken.None)).Sequence);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(1)]
    public async Task Reopen_TornLastRecord_IsCutWithAWarning_AndNewReadingsFollowTheLastGoodOne(int keptBytes)
    {
        var before = Open();
        for (int i = 1; i <= 3; i++)
        {
            Add(before, i);
        }

        // The third append torn by a power cut: its first bytes written, the rest still zeros.
        string segment = Segments()[0];
        byte[] bytes = ThreeRecords(segment);
        Array.Clear(bytes, ThirdRecordAt + keptBytes, ThreeRecordsEndAt - ThirdRecordAt - keptBytes);
        File.WriteAllBytes(segment, bytes);

        var after = Open();
        Add(after, 4);

        // Reading 4 lies where the torn third began, zeros after it: "LTR2", its sequence 8 bytes in (1025: after a crash
        // numbers go on after the block of 1024 reserved, never reused), its payload 33 bytes in (after the topic).
        byte[] now = File.ReadAllBytes(segment);
        Assert.Equal("LTR2"u8.ToArray(), now[ThirdRecordAt..(ThirdRecordAt + 4)]);
        Assert.Equal(1025, BinaryPrimitives.ReadInt64BigEndian(now.AsSpan(ThirdRecordAt + 8)));
        Assert.Equal("reading 4"u8.ToArray(), now[(ThirdRecordAt + 33)..(ThirdRecordAt + 42)]);
        Assert.Equal(new byte[64], now[ThreeRecordsEndAt..(ThreeRecordsEndAt + 64)]);
        Assert.Equal(["reading 1", "reading 2", "reading 4"], await DrainAsync(after));
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("Damage in the outbox log", warning.Message, StringComparison.Ordinal);
        Assert.Contains("cut", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CrashAtAnyByteOfAnAppend_LosesOnlyThatRecord_AndTheNextRunGivesNoNumberGivenBefore()
    {
        var writer = Open();
        for (int i = 1; i <= 3; i++)
        {
            Add(writer, i);
        }

        string segment = Segments()[0];
        byte[] whole = ThreeRecords(segment);
        for (int written = 0; written < ThreeRecordsEndAt - ThirdRecordAt; written++)
        {
            // The power went after `written` bytes of the third append reached the disk.
            byte[] torn = (byte[])whole.Clone();
            Array.Clear(torn, ThirdRecordAt + written, ThreeRecordsEndAt - ThirdRecordAt - written);
            File.WriteAllBytes(segment, torn);

            var after = Open();
            Assert.Equal([1L, 2L], after.Waiting());

            // The torn third had its number, and may have reached the broker before the crash: it is not given again.
            long next = after.NumberOfTheNextReading();
            Assert.True(next > 3, $"{next} after a crash that cut reading 3");
            after.Dispose();
            _opened.Remove(after);
        }
    }

    [Fact]
    public async Task Reopen_DamageInTheMiddle_IsSteppedOver_AndTheReadingsAfterItAreKept_TheirNumbersNotReused()
    {
        var before = Open();
        for (int i = 1; i <= 3; i++)
        {
            Add(before, i);
        }

        string segment = Segments()[0];
        byte[] bytes = ThreeRecords(segment);
        Array.Clear(bytes, SecondRecordAt + 2, 20); // inside the second record, from the third byte of its magic
        File.WriteAllBytes(segment, bytes);

        var after = Open();
        Add(after, 4);

        Assert.Equal(["reading 1", "reading 3", "reading 4"], await DrainAsync(after));
        long next = after.NumberOfTheNextReading();
        Assert.True(next > 4, $"{next} after readings 1 to 4");
    }

    [Fact]
    public void Reopen_ABlockOfZerosStartingAtARecord_IsDamage_NotTheEnd_WhenWholeRecordsFollow()
    {
        var before = Open();
        for (int i = 1; i <= 3; i++)
        {
            Add(before, i);
        }

        // A lost block that begins exactly where the second record does: its first eight bytes read like the end.
        string segment = Segments()[0];
        byte[] bytes = ThreeRecords(segment);
        Array.Clear(bytes, SecondRecordAt, 30);
        File.WriteAllBytes(segment, bytes);

        var after = Open();

        Assert.Equal([1L, 3L], after.Waiting());
        long next = after.NumberOfTheNextReading();
        Assert.True(next > 3, $"{next} after readings 1 to 3");
    }

    [Fact]
    public void PeekAfter_AcrossAGapInTheNumbers_GivesTheNextThatWaits()
    {
        var before = Open();
        for (int i = 1; i <= 3; i++)
        {
            Add(before, i);
        }

        string segment = Segments()[0];
        byte[] bytes = ThreeRecords(segment);
        Array.Clear(bytes, SecondRecordAt + 2, 20);
        File.WriteAllBytes(segment, bytes);
        var after = Open();

        Assert.Equal(3, after.PeekAfter(1)!.Sequence);
        Assert.Equal(3, after.PeekAfter(2)!.Sequence);
        Assert.Null(after.PeekAfter(3));
    }

    [Fact]
    public void ThingsNotOurs_ADirectoryNamedLikeASegmentAndAnotherFile_AreLeftAlone_NotACrash()
    {
        Directory.CreateDirectory(Path.Combine(_directory.Path, "outbox-0000000000000000001.log"));
        File.WriteAllText(Path.Combine(_directory.Path, "notes.txt"), "not ours");

        var outbox = Open();

        Assert.Equal(0, outbox.Count);
        Assert.True(File.Exists(Path.Combine(_directory.Path, "notes.txt")));
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("outbox-0000000000000000001.log", warning.Message, StringComparison.Ordinal);
        Assert.Contains("notes.txt", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_BeyondMaxMessages_DropsTheOldestAndCountsThem()
    {
        var outbox = Open(maxMessages: 3);
        for (int i = 1; i <= 5; i++)
        {
            Add(outbox, i);
        }

        Assert.Equal(["reading 3", "reading 4", "reading 5"], await DrainAsync(outbox));
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("Outbox:MaxMessages", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_BeyondMaxBytes_DropsTheOldest()
    {
        var outbox = Open(maxBytes: 64 * 1024);
        for (int i = 1; i <= 10; i++)
        {
            outbox.Enqueue("DATA/x", new byte[10_000], 1, At);
        }

        // Each record is 10 037 bytes (frame 12, body header 19, topic 6, payload 10 000): six take 60 222 of the
        // 65 536, a seventh would take 70 259. So six wait, the oldest of them number 5.
        Assert.Equal(6, outbox.Count);
        Assert.Equal(5, (await outbox.PeekAsync(CancellationToken.None)).Sequence);
    }

    [Fact]
    public async Task Peek_OnAnEmptyOutbox_WaitsForTheNextReading()
    {
        var outbox = Open();
        var peek = outbox.PeekAsync(CancellationToken.None);
        Assert.False(peek.IsCompleted);

        Add(outbox, 1);

        Assert.Equal("reading 1", Encoding.UTF8.GetString((await peek.WaitAsync(TimeSpan.FromSeconds(10))).Payload));
    }

    [Fact]
    public async Task ForeignFiles_AreLeftAlone_AndNamedOnceInAWarning_WithoutBeingRead()
    {
        File.WriteAllText(Path.Combine(_directory.Path, "notes.txt"), "mine");
        using (var huge = File.Create(Path.Combine(_directory.Path, "outbox-0000000000000000001.log")))
        {
            huge.SetLength(100L * 1024 * 1024); // named like a segment, 100 MB, no header of ours
        }

        var outbox = Open();
        Add(outbox, 1);

        Assert.Equal(["reading 1"], await DrainAsync(outbox));
        Assert.True(File.Exists(Path.Combine(_directory.Path, "notes.txt")));
        Assert.Equal(100L * 1024 * 1024, new FileInfo(Path.Combine(_directory.Path, "outbox-0000000000000000001.log")).Length);
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("notes.txt", warning.Message, StringComparison.Ordinal);
        Assert.Contains("outbox-0000000000000000001.log", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetAside_CopiesTheReadingIntoRejected_AndTheNextComesUp()
    {
        var outbox = Open();
        Add(outbox, 1);
        Add(outbox, 2);

        string? kept = outbox.SetAside((await outbox.PeekAsync(CancellationToken.None)).Sequence);

        Assert.Equal(Path.Combine(_directory.Path, "rejected", "readings.log"), kept);
        Assert.Equal(RecordFrame.Record, OutboxRecord.Read(File.ReadAllBytes(kept!), out var rejected, out _, out _));
        Assert.Equal("reading 1", Encoding.UTF8.GetString(rejected!.Payload));
        Assert.Equal(["reading 2"], await DrainAsync(outbox));
        Assert.Equal(0, Open().Count);
    }

    [Fact]
    public async Task DirectoryRemovedUnderIt_WaitingReadingsStillGo_AndNewOnesLandWhereARestartFindsThem()
    {
        // Fake time that stands still: the segment is looked for every 64 appends only, not also every 10 s.
        var outbox = Open(time: new FakeTimeProvider());
        Add(outbox, 1);
        Directory.Delete(_directory.Path, recursive: true);

        for (int i = 2; i <= 70; i++)
        {
            Add(outbox, i);
        }

        // Reading 65, the 64th append after the first, finds the file gone: it and those after it go to a new one.
        Assert.Single(_logger.Collector.GetSnapshot(), r => r.Message.Contains("was removed under us", StringComparison.Ordinal));
        Assert.Equal("reading 1", Encoding.UTF8.GetString((await outbox.PeekAsync(CancellationToken.None)).Payload));
        var reopened = Open();
        Assert.Equal([65L, 66L, 67L, 68L, 69L, 70L], reopened.Waiting());
        Assert.Equal("reading 70", Encoding.UTF8.GetString(reopened.PeekAfter(69)!.Payload));
    }

    [Fact]
    public void DirectoryRemovedAndUnmakeable_FailsWithOutboxLost_SoTheServiceRestarts()
    {
        var outbox = Open();
        Add(outbox, 1);
        Directory.Delete(_directory.Path, recursive: true);
        File.WriteAllText(_directory.Path, "a file where the directory was");
        try
        {
            var ex = Record.Exception(() =>
            {
                for (int i = 2; i <= 70; i++)
                {
                    Add(outbox, i);
                }
            });

            Assert.IsType<OutboxLostException>(ex);
        }
        finally
        {
            File.Delete(_directory.Path);
            Directory.CreateDirectory(_directory.Path);
        }
    }

    [Fact]
    public void Open_UnwritableDirectory_NamesTheKey()
    {
        string file = Path.Combine(_directory.Path, "a-file");
        File.WriteAllText(file, "not a directory");

        var ex = Assert.Throws<ConfigurationException>(() => new DiskOutbox(Options.Create(new OutboxOptions { Directory = Path.Combine(file, "outbox") }), _logger));

        Assert.StartsWith("Outbox:Directory: cannot write to", ex.Message, StringComparison.Ordinal);
    }
}
