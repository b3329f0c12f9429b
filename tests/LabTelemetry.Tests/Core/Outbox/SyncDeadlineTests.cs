using System.Text;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Core.Outbox;

/// <summary>When the outbox syncs readings: never one the broker took within <c>Outbox:SyncAfter</c>, at most one sync per <c>SyncAfter</c> however long it is away.</summary>
public sealed class SyncDeadlineTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly ScratchDirectory _directory = new();
    private readonly FakeTimeProvider _time = new();
    private readonly PowerCutFiles _files = new();
    private readonly FakeLogger<DiskOutbox> _log = new();

    public void Dispose() => _directory.Dispose();

    private DiskOutbox Open(TimeSpan syncAfter, bool durable = true) =>
        new(new OutboxOptions { Directory = _directory.Path, SyncAfter = syncAfter, Durable = durable }, _log, _time, _files);

    // The syncs of readings: the segment's, not the mark's nor the reservation's, and not the zero-filling of a new segment.
    private int ReadingSyncs(int before) => _files.Synced.Skip(before).Count(name => name.StartsWith("outbox-", StringComparison.Ordinal) && !name.EndsWith(".new", StringComparison.Ordinal));

    private void Read(DiskOutbox outbox, int n) => outbox.Enqueue("DATA/x", Encoding.UTF8.GetBytes($"reading {n}"), 1, _time.GetUtcNow());

    private static async Task AcknowledgeAllAsync(DiskOutbox outbox)
    {
        while (outbox.Count > 0)
        {
            outbox.Acknowledge((await outbox.PeekAsync(CancellationToken.None)).Sequence);
        }
    }

    [Fact]
    public async Task ABrokerThatAcknowledgesAtOnce_CostsNoSyncForItsReadings_In1000Readings()
    {
        using var outbox = Open(TimeSpan.FromSeconds(1));
        Read(outbox, 0);
        await AcknowledgeAllAsync(outbox);
        int before = _files.Synced.Count;

        for (int n = 1; n <= 1000; n++)
        {
            Read(outbox, n);
            await AcknowledgeAllAsync(outbox);
            _time.Advance(Interval);
        }

        Assert.Equal(0, ReadingSyncs(before));
    }

    [Fact]
    public async Task AReadingWrittenJustBeforeAnEarlierOnesDeadline_AndAcknowledgedAMillisecondLater_CostsNoSync()
    {
        using var outbox = Open(TimeSpan.FromSeconds(1));
        int before = _files.Synced.Count;

        // As at 10 Hz with a prompt broker: the eleventh reading lands a hair before the deadline the first set, and
        // the broker takes each a millisecond after it was written.
        var period = Interval - TimeSpan.FromTicks(100);
        for (int n = 0; n < 100; n++)
        {
            Read(outbox, n);
            _time.Advance(TimeSpan.FromMilliseconds(1));
            await AcknowledgeAllAsync(outbox);
            _time.Advance(period - TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(0, ReadingSyncs(before));
    }

    [Fact]
    public void ABrokerAway_CostsOneSyncPerSyncAfter_ForAllThatWaitThen()
    {
        using var outbox = Open(TimeSpan.FromSeconds(1));
        int before = _files.Synced.Count;

        // 60 s at 10 readings a second, none acknowledged.
        for (int n = 1; n <= 600; n++)
        {
            Read(outbox, n);
            _time.Advance(Interval);
        }

        Assert.Equal(60, ReadingSyncs(before));
        var watermarks = _log.Collector.GetSnapshot().Where(r => r.Message.StartsWith("Outbox: durable through sequence", StringComparison.Ordinal)).ToList();
        Assert.Equal(60, watermarks.Count);
        Assert.Equal("Outbox: durable through sequence 10", watermarks[0].Message);
        Assert.Equal("Outbox: durable through sequence 600", watermarks[^1].Message);
    }

    [Fact]
    public void AReadingAcknowledgedBeforeItsDeadline_IsNotSynced_OneThatWaitsPastIt_Is()
    {
        using var outbox = Open(TimeSpan.FromSeconds(1));
        int before = _files.Synced.Count;
        Read(outbox, 1);
        _time.Advance(TimeSpan.FromSeconds(0.9));
        outbox.Acknowledge(1);
        _time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Equal(0, ReadingSyncs(before));

        Read(outbox, 2);
        _time.Advance(TimeSpan.FromSeconds(0.999));
        Assert.Equal(0, ReadingSyncs(before));
        _time.Advance(TimeSpan.FromSeconds(0.001));
        Assert.Equal(1, ReadingSyncs(before));
    }

    [Fact]
    public void ZeroSyncAfter_SyncsEachReadingAsItIsWritten()
    {
        using var outbox = Open(TimeSpan.Zero);
        int before = _files.Synced.Count;

        for (int n = 1; n <= 5; n++)
        {
            Read(outbox, n);
        }

        Assert.Equal(5, ReadingSyncs(before));
    }

    [Fact]
    public void NotDurable_NeverSyncsAReading()
    {
        using var outbox = Open(TimeSpan.FromSeconds(1), durable: false);
        int before = _files.Synced.Count;

        for (int n = 1; n <= 50; n++)
        {
            Read(outbox, n);
            _time.Advance(Interval);
        }

        Assert.Equal(0, ReadingSyncs(before));
        Assert.DoesNotContain(_log.Collector.GetSnapshot(), r => r.Message.StartsWith("Outbox: durable through", StringComparison.Ordinal));
    }

    [Fact]
    public void ACleanStop_SyncsWhatWaits_AndTheNextRunNumbersOnExactly()
    {
        var outbox = Open(TimeSpan.FromSeconds(1));
        int before = _files.Synced.Count;
        Read(outbox, 1);
        Read(outbox, 2);

        outbox.Dispose();

        Assert.Equal(1, ReadingSyncs(before));
        using var again = Open(TimeSpan.FromSeconds(1));
        Assert.Equal(3, again.NumberOfTheNextReading());
    }
}
