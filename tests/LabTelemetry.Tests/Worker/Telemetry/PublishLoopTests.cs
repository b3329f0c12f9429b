using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using LabTelemetry.Worker.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Worker.Telemetry;

/// <summary>The tick's decisions; delivery to a real broker is in the integration tests.</summary>
public sealed class PublishLoopTests : IAsyncDisposable
{
    private static readonly DeviceIdentity Pi = new("wlan0", "b8:27:eb:12:34:56", "b8:27:eb:12:34:56");
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger<PublishLoop> _logger = new();
    private readonly LatestReading _latest = new();
    private readonly MqttConnection _neverConnected;
    private readonly PublishLoop _loop;

    public PublishLoopTests()
    {
        var mqtt = Options.Create(new MqttOptions { Host = "127.0.0.1", Port = 1 });
        _neverConnected = new MqttConnection(mqtt, Pi, _time, new FakeLogger<MqttConnection>());
        var telemetry = Options.Create(new TelemetryOptions { Interval = Interval, Group = "G", Students = ["S"] });
        _loop = new PublishLoop(_latest, _neverConnected, Pi, telemetry, mqtt, _time, _logger);
    }

    public ValueTask DisposeAsync() => _neverConnected.DisposeAsync();

    [Fact]
    public void Topic_IsDataSlashMac() => Assert.Equal("DATA/b8:27:eb:12:34:56", _loop.Topic);

    [Fact]
    public async Task Publish_WhenThereIsNoReadingYet_SkipsTick()
    {
        Assert.Equal(TickOutcome.SkippedStale, await _loop.PublishTickAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Publish_WhenReadingIsStale_SkipsTick()
    {
        _latest.Set(new SensorReading(21.5, _time.GetUtcNow()));
        _time.Advance((Interval * 3) + TimeSpan.FromMilliseconds(1));

        Assert.Equal(TickOutcome.SkippedStale, await _loop.PublishTickAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Publish_WhenReadingIsThreeIntervalsOld_StillPublishes()
    {
        _latest.Set(new SensorReading(21.5, _time.GetUtcNow()));
        _time.Advance(Interval * 3);

        Assert.Equal(TickOutcome.NotDelivered, await _loop.PublishTickAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Publish_WhenStaleForManyTicks_WarnsOnce_AndSaysWhenFreshAgain()
    {
        for (int i = 0; i < 5; i++)
        {
            await _loop.PublishTickAsync(CancellationToken.None);
        }

        _latest.Set(new SensorReading(21.5, _time.GetUtcNow()));
        await _loop.PublishTickAsync(CancellationToken.None);

        var records = _logger.Collector.GetSnapshot();
        Assert.Single(records, r => r.Level == LogLevel.Warning && r.Message.StartsWith("Skipping", StringComparison.Ordinal));
        Assert.Single(records, r => r.Message == "Fresh readings again after 5 skipped tick(s)");
    }

    [Fact]
    public async Task Publish_WhenNotConnected_ReportsOnceAndDoesNotWait()
    {
        _latest.Set(new SensorReading(21.5, _time.GetUtcNow()));

        Assert.Equal(TickOutcome.NotDelivered, await _loop.PublishTickAsync(CancellationToken.None));
        Assert.Equal(TickOutcome.NotDelivered, await _loop.PublishTickAsync(CancellationToken.None));

        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("not connected to 127.0.0.1:1", warning.Message, StringComparison.Ordinal);
    }
}
