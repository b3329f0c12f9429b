using System.Text;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Health;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Tests.Core.Telemetry;

/// <summary>The tick's decisions; delivery to a real broker is in the integration tests.</summary>
public sealed class PublishLoopTests : IDisposable
{
    private static readonly DeviceIdentity Pi = TestDevice.Pi;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly WatchedTimeProvider _time = new();
    private readonly FakeLogger<PublishLoop> _logger = new();
    private readonly LatestReading _latest = new();
    private readonly ScratchDirectory _directory = new();
    private readonly DiskOutbox _outbox;
    private readonly PublishLoop _loop;

    public PublishLoopTests()
    {
        _outbox = new DiskOutbox(Options.Create(new OutboxOptions { Directory = _directory.Path }), new FakeLogger<DiskOutbox>());
        var telemetry = Options.Create(new TelemetryOptions { Interval = Interval, Group = "БАГ-18-01", Students = ["Иванов И.И"] });
        _loop = new PublishLoop(_latest, _outbox, Pi, telemetry, new Liveness(_time), _time, _logger);
    }

    public void Dispose() => _directory.Dispose();

    private PublishLoop LoopOn(TimeProvider clock) => new(
        _latest, _outbox, Pi, Options.Create(new TelemetryOptions { Interval = Interval, Group = "БАГ-18-01", Students = ["Иванов И.И"] }), new Liveness(clock), clock, _logger);

    [Fact]
    public void Topic_IsDataSlashMac() => Assert.Equal("DATA/b8:27:eb:12:34:56", _loop.Topic);

    [Fact]
    public void Publish_WhenThereIsNoReadingYet_SkipsTick()
    {
        Assert.Equal(TickOutcome.SkippedStale, _loop.PublishTick());
        Assert.Equal(0, _outbox.Count);
    }

    [Fact]
    public void Publish_WhenReadingIsStale_SkipsTick()
    {
        _latest.Set(new SensorReading(21.5, _time.GetUtcNow(), _time.GetTimestamp()));
        _time.Advance((Interval * 3) + TimeSpan.FromMilliseconds(1));

        Assert.Equal(TickOutcome.SkippedStale, _loop.PublishTick());
    }

    [Fact]
    public async Task Publish_WhenReadingIsFresh_WritesTheExactPayloadToTheOutbox()
    {
        var takenAt = _time.GetUtcNow();
        _latest.Set(new SensorReading(21.46, takenAt, _time.GetTimestamp()));
        _time.Advance(Interval * 3);

        Assert.Equal(TickOutcome.Queued, _loop.PublishTick());

        var message = await _outbox.PeekAsync(CancellationToken.None);
        Assert.Equal("DATA/b8:27:eb:12:34:56", message.Topic);
        Assert.Equal("{\"temperature\": 21.5, \"students\": [\"Иванов И.И\"], \"group\": \"БАГ-18-01\"}", Encoding.UTF8.GetString(message.Payload));
        Assert.Equal(1, message.Qos);
        Assert.Equal(takenAt, message.TakenAt);
    }

    [Fact]
    public void Publish_WhenStaleForManyTicks_WarnsOnce_AndSaysWhenFreshAgain()
    {
        for (int i = 0; i < 5; i++)
        {
            _loop.PublishTick();
        }

        _latest.Set(new SensorReading(21.5, _time.GetUtcNow(), _time.GetTimestamp()));
        _loop.PublishTick();

        var records = _logger.Collector.GetSnapshot();
        Assert.Single(records, r => r.Level == LogLevel.Warning && r.Message.StartsWith("Skipping", StringComparison.Ordinal));
        Assert.Single(records, r => r.Message == "Fresh readings again after 5 skipped tick(s)");
    }

    [Fact]
    public async Task Start_QueuesTheFirstReadingAsSoonAsItExists_ThenKeepsTheInterval()
    {
        _time.Describe = () => $"{_outbox.Count} reading(s) queued";
        await _loop.StartAsync(CancellationToken.None);

        // Waits for the first reading at most an interval; it comes at 1 s and is queued with no more time passing.
        await _time.ParkedAsync(TimeSpan.FromSeconds(5));
        _time.AdvanceTo(TimeSpan.FromSeconds(1));
        _latest.Set(new SensorReading(21.5, _time.GetUtcNow(), _time.GetTimestamp()));
        Assert.True(await Eventually.TrueAsync(() => _outbox.Count >= 1, TimeSpan.FromSeconds(10)), "the first reading was not queued at once");

        // The schedule's timer alone: the next tick an interval after the first, at 6 s, none before it.
        await _time.ParkedAsync(() => _outbox.Count == 1, TimeSpan.FromSeconds(6));
        _time.AdvanceTo(TimeSpan.FromSeconds(6) - WatchedTimeProvider.JustBefore);
        Assert.Equal(1, _outbox.Count);
        _time.AdvanceTo(TimeSpan.FromSeconds(6));
        Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 2, TimeSpan.FromSeconds(10)), "no tick at 6 s");

        // One reading for that tick: the next comes at 11 s.
        _time.AdvanceTo(TimeSpan.FromSeconds(11) - WatchedTimeProvider.JustBefore);
        Assert.Equal(2, _outbox.Count);
        await _loop.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Publish_WhenTheWallClockStepsADayForward_StillQueuesAFreshReading()
    {
        var clock = new SteppedWallClock();
        var loop = LoopOn(clock);
        var takenAt = clock.GetUtcNow();
        _latest.Set(new SensorReading(21.5, takenAt, clock.GetTimestamp()));

        clock.Step(TimeSpan.FromDays(1));
        clock.Advance(Interval);

        Assert.Equal(TickOutcome.Queued, loop.PublishTick());
        Assert.Equal(takenAt, (await _outbox.PeekAsync(CancellationToken.None)).TakenAt);
    }

    [Fact]
    public void Publish_WhenTheWallClockStepsADayBack_StillSkipsAStaleReading()
    {
        var clock = new SteppedWallClock();
        var loop = LoopOn(clock);
        _latest.Set(new SensorReading(21.5, clock.GetUtcNow(), clock.GetTimestamp()));

        clock.Step(TimeSpan.FromDays(-1));
        clock.Advance((Interval * 3) + TimeSpan.FromMilliseconds(1));

        Assert.Equal(TickOutcome.SkippedStale, loop.PublishTick());
        Assert.Equal(0, _outbox.Count);
    }

    [Fact]
    public async Task TheFirstTick_PublishesTheReadMadeAtStart_EachLaterTickAsksForTheNextReadFirst()
    {
        int asked = 0;
        _latest.OnReadRequested(() => _latest.Set(new SensorReading(20 + Interlocked.Increment(ref asked), _time.GetUtcNow(), _time.GetTimestamp())));
        _latest.Set(new SensorReading(20, _time.GetUtcNow(), _time.GetTimestamp()));

        await _loop.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 1), $"{_outbox.Count} reading(s) queued at start, not the one read made before");
        Assert.Equal(0, Volatile.Read(ref asked));
        _time.Advance(Interval);
        Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 2), $"{_outbox.Count} reading(s) queued after the second tick, not 2");
        await _loop.StopAsync(CancellationToken.None);

        Assert.Equal(1, Volatile.Read(ref asked));
        var first = await _outbox.PeekAsync(CancellationToken.None);
        Assert.StartsWith("{\"temperature\": 20.0,", Encoding.UTF8.GetString(first.Payload), StringComparison.Ordinal);
        Assert.StartsWith("{\"temperature\": 21.0,", Encoding.UTF8.GetString(_outbox.PeekAfter(first.Sequence)!.Payload), StringComparison.Ordinal);
    }
}
