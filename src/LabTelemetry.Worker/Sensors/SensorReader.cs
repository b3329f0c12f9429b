using LabTelemetry.Core.Sensors;
using LabTelemetry.Worker.Systemd;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Worker.Sensors;

/// <summary>
/// Reads the thermometer on its own cadence, so a slow read (750 ms for a DS18B20 at 12 bits) never
/// delays a publish, and keeps the newest plausible reading in <see cref="LatestReading"/>.
/// </summary>
internal sealed class SensorReader(
    ITemperatureSensor sensor,
    LatestReading latest,
    IOptions<SensorOptions> sensorOptions,
    IOptions<Core.Telemetry.TelemetryOptions> telemetryOptions,
    Liveness liveness,
    TimeProvider timeProvider,
    ILogger<SensorReader> logger) : BackgroundService
{
    private readonly ReadingValidator _validator = new(sensorOptions.Value.MaxRateCelsiusPerSecond);
    private readonly SensorHealth _health = new();
    private bool _hadReading;

    public TimeSpan ReadInterval { get; } = sensorOptions.Value.ReadInterval ?? telemetryOptions.Value.Interval;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        SensorLog.Reading(logger, sensor.Name, ReadInterval);
        liveness.Expect(nameof(SensorReader), (ReadInterval * 3) + sensorOptions.Value.ReadTimeout + TimeSpan.FromSeconds(10));
        using var timer = new PeriodicTimer(ReadInterval, timeProvider);
        do
        {
            await ReadOnceAsync(stoppingToken).ConfigureAwait(false);
            liveness.Beat(nameof(SensorReader));
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Takes one reading; a fault is logged when it starts and when it ends, not on every read.</summary>
    internal async Task ReadOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            double celsius = await sensor.ReadCelsiusAsync(cancellationToken).ConfigureAwait(false);
            var reading = _validator.Validate(celsius, timeProvider.GetUtcNow());
            latest.Set(reading);
            int failedReads = _health.FailedReads;
            if (_health.ReportGood())
            {
                SensorLog.Recovered(logger, sensor.Name, reading.Celsius, failedReads);
            }
            else if (!_hadReading)
            {
                SensorLog.FirstReading(logger, sensor.Name, reading.Celsius);
            }

            _hadReading = true;
        }
        catch (SensorException ex)
        {
            Report(ex.Fault, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Report(SensorFault.ReadFailed, ex.Message);
        }
    }

    private void Report(SensorFault fault, string detail)
    {
        if (_health.ReportFault(fault))
        {
            SensorLog.Fault(logger, sensor.Name, fault, detail);
        }
    }
}
