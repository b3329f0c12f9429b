using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Worker.Telemetry;

/// <summary>Publishes the lab's JSON on a fixed schedule, from the newest valid reading, never from a stale or invented one.</summary>
internal sealed class PublishLoop(
    LatestReading latest,
    MqttConnection connection,
    DeviceIdentity device,
    IOptions<TelemetryOptions> telemetryOptions,
    IOptions<MqttOptions> mqttOptions,
    TimeProvider timeProvider,
    ILogger<PublishLoop> logger) : BackgroundService
{
    // A reading older than this many intervals says more about the sensor than about the room.
    private const int FreshIntervals = 3;

    private readonly TelemetryOptions _options = telemetryOptions.Value;
    private readonly TimeSpan _publishTimeout = Min(mqttOptions.Value.OperationTimeout, telemetryOptions.Value.Interval);
    private int _skipped;
    private int _undelivered;

    public string Topic { get; } = TopicTemplate.Expand(telemetryOptions.Value.Topic, device.Id);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TelemetryLog.Starting(logger, Topic, _options.Interval, device.Interface, device.Mac);

        // PeriodicTimer keeps the schedule: ticks are due at fixed multiples of the interval, not "interval after the last publish".
        using var timer = new PeriodicTimer(_options.Interval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await PublishTickAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>One tick: publish the newest reading if it is fresh enough.</summary>
    internal async Task<TickOutcome> PublishTickAsync(CancellationToken cancellationToken)
    {
        var reading = latest.Current;
        var age = reading is null ? TimeSpan.MaxValue : timeProvider.GetUtcNow() - reading.TakenAt;
        if (age > _options.Interval * FreshIntervals)
        {
            if (_skipped++ == 0)
            {
                TelemetryLog.SkippingStale(logger, Topic, _options.Interval * FreshIntervals);
            }

            return TickOutcome.SkippedStale;
        }

        if (_skipped > 0)
        {
            TelemetryLog.FreshAgain(logger, _skipped);
            _skipped = 0;
        }

        string json = LabPayload.ToJson(reading!.Celsius, _options.Students, _options.Group, _options.Decimals);
        byte[] payload = System.Text.Encoding.UTF8.GetBytes(json);
        var outcome = await connection.PublishAsync(Topic, payload, _options.Qos, _publishTimeout, cancellationToken).ConfigureAwait(false);
        if (!outcome.Delivered)
        {
            if (_undelivered++ == 0)
            {
                TelemetryLog.NotDelivered(logger, Topic, outcome.Problem ?? "unknown");
            }

            return TickOutcome.NotDelivered;
        }

        if (_undelivered > 0)
        {
            TelemetryLog.DeliveringAgain(logger, _undelivered);
            _undelivered = 0;
        }

        TelemetryLog.Published(logger, Topic, json);
        return TickOutcome.Published;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
