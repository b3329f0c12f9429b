using System.Text;
using LabTelemetry.Core.Configuration;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Tests.Core.Outbox;

public sealed class DiskOutboxTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private readonly ScratchDirectory _directory = new();
    private readonly FakeLogger<DiskOutbox> _logger = new();

    public void Dispose() => _directory.Dispose();

    private DiskOutbox Open(int maxMessages = 100) =>
        new(Options.Create(new OutboxOptions { Directory = _directory.Path, MaxMessages = maxMessages }), _logger);

    private static Task AddAsync(DiskOutbox outbox, int n) =>
        outbox.EnqueueAsync("DATA/x", Encoding.UTF8.GetBytes($"reading {n}"), 1, At.AddSeconds(n), CancellationToken.None);

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

    [Fact]
    public async Task Peek_GivesReadingsInTheOrderTheyWereWritten_AndKeepsEachUntilAcknowledged()
    {
        var outbox = Open();
        await AddAsync(outbox, 1);
        await AddAsync(outbox, 2);

        var first = await outbox.PeekAsync(CancellationToken.None);
        Assert.Equal(first, await outbox.PeekAsync(CancellationToken.None));
        outbox.Acknowledge(first.Sequence);

        Assert.Equal("reading 2", Encoding.UTF8.GetString((await outbox.PeekAsync(CancellationToken.None)).Payload));
    }

    [Fact]
    public async Task Reopen_AfterACrash_FindsEveryUnacknowledgedReadingInOrder()
    {
        var before = Open();
        for (int i = 1; i <= 5; i++)
        {
            await AddAsync(before, i);
        }

        before.Acknowledge((await before.PeekAsync(CancellationToken.None)).Sequence);

        var after = Open();
        Assert.Equal(4, after.Count);
        Assert.Equal(["reading 2", "reading 3", "reading 4", "reading 5"], await DrainAsync(after));
        Assert.Empty(Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public async Task Reopen_NewReadingsComeAfterTheOldOnes()
    {
        var before = Open();
        await AddAsync(before, 1);

        var after = Open();
        await AddAsync(after, 2);

        Assert.Equal(["reading 1", "reading 2"], await DrainAsync(after));
    }

    [Fact]
    public async Task Reopen_HalfWrittenTemporaryFile_IsDiscarded()
    {
        var before = Open();
        await AddAsync(before, 1);
        File.WriteAllBytes(Path.Combine(_directory.Path, "0000000000000000002.msg.tmp"), [1, 2, 3]);

        var after = Open();

        Assert.Equal(1, after.Count);
        Assert.Single(Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public async Task Peek_TornRecord_IsSkippedWithAWarning_NotACrash()
    {
        var before = Open();
        for (int i = 1; i <= 3; i++)
        {
            await AddAsync(before, i);
        }

        string second = Directory.GetFiles(_directory.Path).Order().ElementAt(1);
        File.WriteAllBytes(second, File.ReadAllBytes(second)[..10]);

        var after = Open();
        Assert.Equal(["reading 1", "reading 3"], await DrainAsync(after));
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("damaged", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_BeyondMaxMessages_DropsTheOldestAndCountsThem()
    {
        var outbox = Open(maxMessages: 3);
        for (int i = 1; i <= 5; i++)
        {
            await AddAsync(outbox, i);
        }

        Assert.Equal(2, outbox.Dropped);
        Assert.Equal(["reading 3", "reading 4", "reading 5"], await DrainAsync(outbox));
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("Outbox:MaxMessages", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Peek_OnAnEmptyOutbox_WaitsForTheNextReading()
    {
        var outbox = Open();
        var peek = outbox.PeekAsync(CancellationToken.None);
        Assert.False(peek.IsCompleted);

        await AddAsync(outbox, 1);

        Assert.Equal("reading 1", Encoding.UTF8.GetString((await peek.WaitAsync(TimeSpan.FromSeconds(10))).Payload));
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
