using System.Device.Gpio;
using LabTelemetry.Core.Gpio;
using LabTelemetry.Core.Health;
using LabTelemetry.Core.Resilience;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Tests.Core.Sensors;

/// <summary>
/// A thermometer that drops off the bus and comes back once power-cycled, end to end: the sensor reads the fake w1
/// sysfs's files, the reader counts the failures, the cycler drives the power pin through <see cref="GpioController"/>,
/// and the wiring (the recording driver's hook) brings the thermometer back when its supply returns.
/// </summary>
public sealed class PowerCycleRecoveryTests : IDisposable
{
    private const string Id = "28-00000a1b2c3d";
    private const int Pin = 22;

    private readonly WatchedTimeProvider _time = new();
    private readonly FakeW1Sysfs _bus = new();
    private readonly FakeLogger<SensorReader> _readerLog = new();
    private readonly FakeLogger<PowerCycler> _cyclerLog = new();
    private readonly LatestReading _latest = new();

    public void Dispose() => _bus.Dispose();

    [Fact]
    public async Task AThermometerGoneFromTheBus_IsPowerCycled_ComesBack_AndReadsResume()
    {
        var driver = new RecordingGpioDriver(() => _time.Elapsed);
        bool wasOff = false;
        driver.Written = (pin, value) =>
        {
            // Powered again after being off: the next bus search finds it, reading its power-up value first.
            wasOff |= pin == Pin && value == PinValue.Low;
            if (pin == Pin && value == PinValue.High && wasOff)
            {
                _bus.SetTemperature(Id, 85000);
            }
        };
        var options = new SensorOptions { PowerPin = Pin };
        var cycler = new PowerCycler(new OutputPin(new GpioController(driver), Pin, activeLow: false, restOn: true).Open(), options.PowerCycleAfter, new Backoff(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30)), _time, _cyclerLog);
        using var reader = new SensorReader(new Ds18b20Sensor(options, _time, _bus.Enumerate, _bus.ReadAsync), _latest, Options.Create(options), TimeSpan.FromSeconds(5), new Liveness(_time), _time, _readerLog, cycler);

        _bus.SetTemperature(Id, 21500);
        await reader.ReadOnceAsync(CancellationToken.None);
        Assert.Equal(21.5, _latest.Current!.Celsius);

        _bus.Unplug(Id);
        foreach (int second in (int[])[5, 10, 15])
        {
            _time.AdvanceTo(TimeSpan.FromSeconds(second));
            await reader.ReadOnceAsync(CancellationToken.None);
        }

        Assert.False(_bus.Has(Id));
        await _time.ParkedAsync(TimeSpan.FromSeconds(16)); // off for a second
        _time.AdvanceTo(TimeSpan.FromSeconds(16));
        await _time.ParkedAsync(TimeSpan.FromSeconds(37));
        Assert.True(_bus.Has(Id));

        _time.AdvanceTo(TimeSpan.FromSeconds(20));
        await reader.ReadOnceAsync(CancellationToken.None); // 85 °C: a fresh power-up, rejected as ever
        Assert.Equal(21.5, _latest.Current!.Celsius);
        _bus.SetTemperature(Id, 21625);
        _time.AdvanceTo(TimeSpan.FromSeconds(25));
        await reader.ReadOnceAsync(CancellationToken.None);
        await cycler.Current.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(21.625, _latest.Current!.Celsius);
        Assert.Equal([(TimeSpan.Zero, "22 high"), (TimeSpan.FromSeconds(15), "22 low"), (TimeSpan.FromSeconds(16), "22 high")], driver.Edges);
        var line = Assert.Single(_cyclerLog.Collector.GetSnapshot());
        Assert.Equal("Power-cycled the thermometer (Sensor:PowerPin GPIO22) after NoThermometer: it reads again, 10 s after its supply went off", line.Message);
        Assert.Contains(_readerLog.Collector.GetSnapshot(), r => r.Message.Contains("PowerOnReset", StringComparison.Ordinal));
    }
}
