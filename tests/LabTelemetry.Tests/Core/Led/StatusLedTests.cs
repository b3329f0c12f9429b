using System.Device.Gpio;
using LabTelemetry.Core.Gpio;
using LabTelemetry.Core.Led;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace LabTelemetry.Tests.Core.Led;

/// <summary>
/// The status LED through System.Device.Gpio's own <see cref="GpioController"/> over a recording driver, on fake time:
/// every edge with its moment, in literal milliseconds.
/// </summary>
public sealed class StatusLedTests : IAsyncDisposable
{
    private const int Pin = 17;

    private readonly WatchedTimeProvider _time = new();
    private readonly FakeLogger<StatusLed> _logger = new();
    private readonly RecordingGpioDriver _driver;
    private bool _faulty;
    private bool _connected;

    public StatusLedTests() => _driver = new RecordingGpioDriver(() => _time.Elapsed);

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    private static (TimeSpan, string)[] Edges(params (int Ms, string What)[] edges) => [.. edges.Select(e => (Ms(e.Ms), e.What))];

    private StatusLed Led(bool activeLow = false) => new(
        () => new OutputPin(new GpioController(_driver), Pin, activeLow, restOn: false).Open(),
        () => _faulty,
        () => _connected,
        _time,
        _logger);

    [Fact]
    public async Task EachState_HasItsPattern_AndTheWorstThatHoldsIsShown()
    {
        await using var run = new Running(Led());
        await _time.ParkedAsync(Ms(250)); // no broker: 250 ms lit every 1.5 s

        _time.AdvanceTo(Ms(250));
        await _time.ParkedAsync(Ms(1500));
        _time.AdvanceTo(Ms(1500));
        await _time.ParkedAsync(Ms(1750));

        _faulty = true; // the thermometer fails: 150 ms lit every 250 ms, from now
        run.Led.Changed();
        await _time.ParkedAsync(Ms(1650));
        _time.AdvanceTo(Ms(1650));
        await _time.ParkedAsync(Ms(1750));

        // Connected, and the grader answers: the sensor fault is worse, and goes on blinking as it did.
        long mark = _time.Mark();
        _connected = true;
        run.Led.Answered();
        await _time.ParkedAgainAsync(mark, Ms(1750));
        _time.AdvanceTo(Ms(1750));
        await _time.ParkedAsync(Ms(1900));

        _faulty = false; // the grader's answer (given at 1650) shows till 4650: two 100 ms flashes a second
        run.Led.Changed();
        foreach (int step in (int[])[1850, 1950, 2050, 2750, 2850, 2950, 3050, 3750, 3850, 3950, 4050])
        {
            await _time.ParkedAsync(Ms(step));
            _time.AdvanceTo(Ms(step));
        }

        await _time.ParkedAsync(Ms(4650));
        _time.AdvanceTo(Ms(4650)); // then connected: steady on
        await _time.ParkedAsync(() => _driver.Edges.Length == 18);
        _time.AdvanceTo(Ms(60_000));
        await _time.ParkedAsync();

        Assert.Equal(
            Edges((0, "17 low"), (0, "17 high"), (250, "17 low"), (1500, "17 high"), (1650, "17 low"), (1750, "17 high"),
                (1850, "17 low"), (1950, "17 high"), (2050, "17 low"), (2750, "17 high"), (2850, "17 low"), (2950, "17 high"),
                (3050, "17 low"), (3750, "17 high"), (3850, "17 low"), (3950, "17 high"), (4050, "17 low"), (4650, "17 high")),
            _driver.Edges);
    }

    [Fact]
    public async Task Heartbeat_FollowsEachAcknowledgement_AtMostOnceASecond()
    {
        _connected = true;
        await using var run = new Running(Led());
        await _time.ParkedAsync(() => _driver.Edges.Length == 2);

        run.Led.Acknowledged(); // a blip at once: 100 ms dark
        await _time.ParkedAsync(Ms(100));
        _time.AdvanceTo(Ms(100));
        await _time.ParkedAsync(() => _driver.Edges.Length == 4);

        _time.AdvanceTo(Ms(500));
        run.Led.Acknowledged(); // half a second after the last: its blip waits till a second after it
        await _time.ParkedAsync(Ms(1000));
        _time.AdvanceTo(Ms(1000));
        await _time.ParkedAsync(Ms(1100));
        _time.AdvanceTo(Ms(1100));
        await _time.ParkedAsync(() => _driver.Edges.Length == 6);

        _time.AdvanceTo(Ms(1200));
        run.Led.Acknowledged(); // two within the second: one blip, at 2000
        await _time.ParkedAsync(Ms(2000));
        _time.AdvanceTo(Ms(1300));
        long mark = _time.Mark();
        run.Led.Acknowledged();
        await _time.ParkedAgainAsync(mark, Ms(2000));
        _time.AdvanceTo(Ms(2000));
        await _time.ParkedAsync(Ms(2100));
        _time.AdvanceTo(Ms(2100));
        await _time.ParkedAsync(() => _driver.Edges.Length == 8);

        _time.AdvanceTo(Ms(5000));
        run.Led.Acknowledged();
        await _time.ParkedAsync(Ms(5100));
        _time.AdvanceTo(Ms(5100));
        await _time.ParkedAsync(() => _driver.Edges.Length == 10);
        _time.AdvanceTo(Ms(10_000)); // no acknowledgement, no blip
        await _time.ParkedAsync();

        Assert.Equal(
            Edges((0, "17 low"), (0, "17 high"), (0, "17 low"), (100, "17 high"), (1000, "17 low"), (1100, "17 high"),
                (2000, "17 low"), (2100, "17 high"), (5000, "17 low"), (5100, "17 high")),
            _driver.Edges);
    }

    [Theory]
    [InlineData(false, "17 low")]
    [InlineData(true, "17 high")]
    public async Task ACleanStop_LeavesTheLedDark_AndReleasesTheLine(bool activeLow, string dark)
    {
        _connected = true;
        var run = new Running(Led(activeLow));
        await _time.ParkedAsync(() => _driver.Edges.Length == 2);
        Assert.NotEqual(dark, _driver.Edges[^1].What); // lit while running

        await run.DisposeAsync();

        Assert.Equal([(TimeSpan.Zero, dark), (TimeSpan.Zero, $"close {Pin}")], _driver.Events[^2..]);
    }

    [Fact]
    public async Task AWriteThatFails_ReleasesTheLine_WithOneWarning_AndTheLoopEnds()
    {
        await using var run = new Running(Led());
        await _time.ParkedAsync(Ms(250));

        _driver.FailWrites = true;
        _time.AdvanceTo(Ms(250));
        await run.Led.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal($"close {Pin}", _driver.Events[^1].What);
        var warning = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("Led:Pin GPIO17: the LED cannot be set (line 17: Input/output error); it is released and the service goes on without it", warning.Message);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The LED's loop started, and stopped as the host stops it.</summary>
    private sealed class Running : IAsyncDisposable
    {
        private bool _stopped;

        public Running(StatusLed led)
        {
            Led = led;
            Led.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        public StatusLed Led { get; }

        public async ValueTask DisposeAsync()
        {
            if (!_stopped)
            {
                _stopped = true;
                await Led.StopAsync(CancellationToken.None);
                Led.Dispose();
            }
        }
    }
}
