using LabTelemetry.Core.Health;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Core.Sensors;

public class SensorReaderTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger<SensorReader> _logger = new();
    private readonly LatestReading _latest = new();

    private SensorReader Reader(ScriptedSensor sensor) =>
        new(sensor, _latest, Options.Create(new SensorOptions()), new TelemetryOptions().Interval, new Liveness(_time), _time, _logger);

    private async Task ReadAsync(SensorReader reader, int times)
    {
        for (int i = 0; i < times; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await reader.ReadOnceAsync(CancellationToken.None);
        }
    }

    private int Logged(LogLevel level) => _logger.Collector.GetSnapshot().Count(r => r.Level == level);

    [Fact]
    public async Task ReadOnce_GoodReading_BecomesTheLatest()
    {
        var reader = Reader(new ScriptedSensor(21.5));

        await ReadAsync(reader, 1);

        Assert.Equal(new SensorReading(21.5, _time.GetUtcNow(), _time.GetTimestamp()), _latest.Current);
    }

    [Fact]
    public async Task ReadOnce_SameFaultRepeated_IsLoggedOnce()
    {
        var reader = Reader(new ScriptedSensor(SensorFault.CrcError, SensorFault.CrcError, SensorFault.CrcError));

        await ReadAsync(reader, 3);

        Assert.Equal(1, Logged(LogLevel.Error));
        Assert.Contains("CrcError", _logger.LatestRecord.Message, StringComparison.Ordinal);
        Assert.Null(_latest.Current);
    }

    [Fact]
    public async Task ReadOnce_FaultChangesThenRecovers_LogsEachChangeOnce()
    {
        var sensor = new ScriptedSensor(21.5, SensorFault.CrcError, SensorFault.CrcError, SensorFault.Missing, SensorFault.Missing, 21.6, 21.6);
        var reader = Reader(sensor);

        await ReadAsync(reader, 7);

        Assert.Equal(2, Logged(LogLevel.Error));
        var recovered = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Message.Contains("reads again", StringComparison.Ordinal));
        Assert.Contains("after 4 failed read(s)", recovered.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadOnce_PowerOnResetValue_IsNotPublishable()
    {
        var reader = Reader(new ScriptedSensor(21.5, 85.0));

        await ReadAsync(reader, 2);

        Assert.Equal(21.5, _latest.Current!.Celsius);
        Assert.Contains("PowerOnReset", _logger.LatestRecord.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadOnce_UnexpectedException_IsAFaultNotACrash()
    {
        var reader = Reader(new ScriptedSensor(new UnauthorizedAccessException("permission denied")));

        await ReadAsync(reader, 1);

        Assert.Contains("ReadFailed", _logger.LatestRecord.Message, StringComparison.Ordinal);
        Assert.Contains("permission denied", _logger.LatestRecord.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInterval_DefaultsToThePublishInterval()
    {
        var reader = new SensorReader(new ScriptedSensor(), _latest, Options.Create(new SensorOptions()), TimeSpan.FromSeconds(7), new Liveness(_time), _time, _logger);

        Assert.Equal(TimeSpan.FromSeconds(7), reader.ReadInterval);
    }

    /// <summary>A thermometer whose reads wait until the test lets them finish, counting how many were asked for.</summary>
    private sealed class GatedSensor : ITemperatureSensor
    {
        private TaskCompletionSource<double> _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Reads { get; private set; }

        public string Name => "28-0000gated";

        public Task<double> ReadCelsiusAsync(CancellationToken cancellationToken)
        {
            Reads++;
            return _gate.Task;
        }

        public void Finish(double celsius)
        {
            var gate = _gate;
            _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
            gate.SetResult(celsius);
        }
    }

    [Fact]
    public async Task WithoutAReadInterval_ReadsWhenThePublishTickAsks_NeverTwoAtOnce()
    {
        var sensor = new GatedSensor();
        using var reader = new SensorReader(sensor, _latest, Options.Create(new SensorOptions()), new TelemetryOptions().Interval, new Liveness(_time), _time, _logger);
        await reader.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.TrueAsync(() => sensor.Reads == 1), "the first read starts at once, for the first publish");

        // Ticks while that read still waits on the sensor add no second read.
        _latest.RequestRead();
        _latest.RequestRead();
        Assert.Equal(1, sensor.Reads);
        sensor.Finish(21.5);

        // A tick asks until the first read has let go of its turn: the second read starts then, and only one.
        Assert.True(await Eventually.TrueAsync(() =>
        {
            _latest.RequestRead();
            return sensor.Reads == 2;
        }), $"{sensor.Reads} reads");
        _latest.RequestRead();
        Assert.Equal(2, sensor.Reads);
        await reader.StopAsync(CancellationToken.None);
    }
}
