using System.Device.Gpio;
using LabTelemetry.Core.Gpio;
using LabTelemetry.Core.Resilience;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging.Testing;

namespace LabTelemetry.Tests.Core.Sensors;

/// <summary>The thermometer's power cycle through System.Device.Gpio's <see cref="GpioController"/> over a recording driver, on fake time.</summary>
public sealed class PowerCyclerTests : IDisposable
{
    private const int Pin = 22;

    private readonly WatchedTimeProvider _time = new();
    private readonly FakeLogger<PowerCycler> _logger = new();
    private readonly RecordingGpioDriver _driver;
    private readonly PowerCycler _cycler;

    public PowerCyclerTests()
    {
        _driver = new RecordingGpioDriver(() => _time.Elapsed);

        // Jitter drawn at its middle: each delay is its step, a minute doubled.
        _cycler = new PowerCycler(
            new OutputPin(new GpioController(_driver), Pin, activeLow: false, restOn: true).Open(),
            cycleAfter: 3,
            new Backoff(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30), random: () => 0.5),
            _time,
            _logger);
    }

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public async Task ThreeMissingReads_SwitchTheSupplyOffForASecond_ThenWaitForTheBus_AndSayHowItEnded()
    {
        _cycler.ReportFault(SensorFault.Missing, CancellationToken.None);
        _cycler.ReportFault(SensorFault.NoThermometer, CancellationToken.None);
        Assert.Equal([(S(0), "22 high")], _driver.Edges); // on from the open; two failures are not yet enough

        _cycler.ReportFault(SensorFault.NoThermometer, CancellationToken.None);
        await _time.ParkedAsync(S(1));
        _time.AdvanceTo(S(1));
        await _time.ParkedAsync(S(22)); // two of the kernel's bus searches, 10 s apart
        _time.AdvanceTo(S(12));
        _cycler.ReportGood();
        await _cycler.Current.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal([(S(0), "22 high"), (S(0), "22 low"), (S(1), "22 high")], _driver.Edges);
        var line = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal("Power-cycled the thermometer (Sensor:PowerPin GPIO22) after NoThermometer: it reads again, 12 s after its supply went off", line.Message);
    }

    [Theory]
    [InlineData(SensorFault.PowerOnReset)] // 85 °C: what a power cycle produces, never a reason for one
    [InlineData(SensorFault.OutOfRange)]
    [InlineData(SensorFault.TooFast)]
    [InlineData(SensorFault.NoBus)] // no w1 driver: power does not bring the overlay back
    public void FaultsAPowerCycleCannotCure_NeverStartOne(SensorFault fault)
    {
        for (int i = 0; i < 10; i++)
        {
            _cycler.ReportFault(fault, CancellationToken.None);
        }

        Assert.Equal([(S(0), "22 high")], _driver.Edges);
    }

    [Fact]
    public void AGoodRead_StartsTheCountAgain()
    {
        _cycler.ReportFault(SensorFault.CrcError, CancellationToken.None);
        _cycler.ReportFault(SensorFault.CrcError, CancellationToken.None);
        _cycler.ReportGood();
        _cycler.ReportFault(SensorFault.StuckLow, CancellationToken.None);
        _cycler.ReportFault(SensorFault.StuckLow, CancellationToken.None);

        Assert.Equal([(S(0), "22 high")], _driver.Edges);
    }

    [Fact]
    public async Task AThermometerThatStaysGone_IsCycledAtMostOnceAMinute_LessOftenEachTime()
    {
        // A read every 5 s for five minutes, each one missing.
        for (int second = 0; second <= 300; second++)
        {
            _time.AdvanceTo(S(second));
            if (second % 5 == 0)
            {
                _cycler.ReportFault(SensorFault.Missing, CancellationToken.None);
            }

            await Task.Yield();
        }

        // Cycles after a minute, then two more (the backoff's second step), then four.
        double[] offAt = [.. _driver.Edges.Where(e => e.What == "22 low").Select(e => e.At.TotalSeconds)];
        Assert.Equal([10, 70, 190], offAt);
        Assert.True(await Eventually.TrueAsync(() => _logger.Collector.Count == 3), string.Join("\n", _logger.Collector.GetSnapshot().Select(r => r.Message)));
        Assert.StartsWith("Power-cycled the thermometer (Sensor:PowerPin GPIO22) after Missing: still no reading 21 s after power came back; next cycle in 60 s at the earliest", _logger.Collector.GetSnapshot()[0].Message);
    }

    [Fact]
    public void Disposed_TheSupplyIsLeftOn_AndTheLineReleased()
    {
        _cycler.ReportFault(SensorFault.Missing, CancellationToken.None);
        _cycler.ReportFault(SensorFault.Missing, CancellationToken.None);
        _cycler.ReportFault(SensorFault.Missing, CancellationToken.None); // off, mid-cycle

        _cycler.Dispose();

        Assert.Equal([(S(0), "22 low"), (S(0), "22 high"), (S(0), $"close {Pin}")], _driver.Events[^3..]);
    }

    public void Dispose() => _cycler.Dispose();
}
