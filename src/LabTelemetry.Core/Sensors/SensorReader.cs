using LabTelemetry.Core.Health;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Sensors;

/// <summary>
/// Reads the thermometer at the publish schedule's ticks or on <c>Sensor:ReadInterval</c>, never in the publish loop's
/// way (a DS18B20 takes 750 ms), keeping the newest plausible reading in <see cref="LatestReading"/>.
/// </summary>
/// <param name="scheduleInterval">The publish schedule's interval, which reads follow unless <c>Sensor:ReadInterval</c> sets their own.</param>
internal sealed partial class SensorReader(
    ITemperatureSensor sensor,
    LatestReading latest,
    IOptions<SensorOptions> sensorOptions,
    TimeSpan scheduleInterval,
    Liveness liveness,
    TimeProvider timeProvider,
    ILogger<SensorReader> logger,
    PowerCycler? powerCycler = null) : BackgroundService
{
    // One read at a time: a tick that finds one still running adds none.
    private readonly ReadingValidator _validator = new(sensorOptions.Value.MaxRateCelsiusPerSecond, timeProvider);
    private readonly SensorHealth _health = new();
    private bool _hadReading;
    private int _reading;
    private volatile bool _faulty;

    public TimeSpan ReadInterval { get; } = sensorOptions.Value.ReadInterval ?? scheduleInterval;

    /// <summary>Gets a value indicating whether the last read failed.</summary>
    public bool IsFaulty => _faulty;

    /// <summary>Raised when <see cref="IsFaulty"/> changes, on the reading thread: for those who only show it (the status LED).</summary>
    public event Action? FaultChanged;

    public override void Dispose()
    {
        powerCycler?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Reading(logger, sensor.Name, ReadInterval);
        liveness.Expect(nameof(SensorReader), (ReadInterval * 3) + sensorOptions.Value.ReadTimeout + TimeSpan.FromSeconds(10));
        if (sensorOptions.Value.ReadInterval is null)
        {
            // Reads follow the publish schedule: the first now, for the first publish, then one asked for by each tick.
            latest.OnReadRequested(() => _ = ReadInTurnAsync(stoppingToken));
            await ReadInTurnAsync(stoppingToken).ConfigureAwait(false);
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
            return;
        }

        using var timer = new PeriodicTimer(ReadInterval, timeProvider);
        do
        {
            await ReadOnceAsync(stoppingToken).ConfigureAwait(false);
            liveness.Beat(nameof(SensorReader));
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task ReadInTurnAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _reading, 1) == 1)
        {
            return;
        }

        try
        {
            await ReadOnceAsync(cancellationToken).ConfigureAwait(false);
            liveness.Beat(nameof(SensorReader));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Takes one reading; a fault is logged when it starts and when it ends, not on every read.</summary>
    internal async Task ReadOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            double celsius = await sensor.ReadCelsiusAsync(cancellationToken).ConfigureAwait(false);
            var reading = _validator.Validate(celsius);
            latest.Set(reading);
            SetFaulty(false);
            powerCycler?.ReportGood();
            int failedReads = _health.FailedReads;
            if (_health.ReportGood())
            {
                Log.Recovered(logger, sensor.Name, reading.Celsius, failedReads);
            }
            else if (!_hadReading)
            {
                Log.FirstReading(logger, sensor.Name, reading.Celsius);
            }
            else
            {
                Log.Read(logger, sensor.Name, reading.Celsius);
            }

            _hadReading = true;
        }
        catch (SensorException ex)
        {
            Report(ex.Fault, ex.Message, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Report(SensorFault.ReadFailed, ex.Message, cancellationToken);
        }
    }

    private void Report(SensorFault fault, string detail, CancellationToken cancellationToken)
    {
        SetFaulty(true);
        powerCycler?.ReportFault(fault, cancellationToken);
        if (_health.ReportFault(fault))
        {
            Log.Fault(logger, sensor.Name, fault, detail);
        }
    }

    private void SetFaulty(bool faulty)
    {
        if (_faulty != faulty)
        {
            _faulty = faulty;
            FaultChanged?.Invoke();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Reading sensor {Sensor} every {ReadInterval}")]
        public static partial void Reading(ILogger logger, string sensor, TimeSpan readInterval);

        [LoggerMessage(Level = LogLevel.Information, Message = "Sensor {Sensor} reads {Celsius:0.###} °C")]
        public static partial void FirstReading(ILogger logger, string sensor, double celsius);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Sensor {Sensor} read {Celsius:0.###} °C")]
        public static partial void Read(ILogger logger, string sensor, double celsius);

        [LoggerMessage(Level = LogLevel.Error, Message = "Sensor {Sensor}: {Fault}: {Detail}")]
        public static partial void Fault(ILogger logger, string sensor, SensorFault fault, string detail);

        [LoggerMessage(Level = LogLevel.Information, Message = "Sensor {Sensor} reads again: {Celsius:0.###} °C after {FailedReads} failed read(s)")]
        public static partial void Recovered(ILogger logger, string sensor, double celsius, int failedReads);
    }
}
