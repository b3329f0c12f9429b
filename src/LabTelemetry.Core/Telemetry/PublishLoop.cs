using LabTelemetry.Core.Device;
using LabTelemetry.Core.Health;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Sensors;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Telemetry;

/// <summary>
/// On a fixed schedule, turns the newest valid reading into the lab's JSON and writes it to the outbox, never
/// from a stale or invented reading. It never waits for the network: the outbox's sender does.
/// </summary>
internal sealed partial class PublishLoop(
    LatestReading latest,
    DiskOutbox outbox,
    DeviceIdentity device,
    IOptions<TelemetryOptions> telemetryOptions,
    Liveness liveness,
    TimeProvider timeProvider,
    ILogger<PublishLoop> logger) : BackgroundService
{
    // A reading older than this many intervals says more about the sensor than about the room.
    private const int FreshIntervals = 3;

    private readonly TelemetryOptions _options = telemetryOptions.Value;
    private bool _firstTick = true;
    private int _skipped;

    public string Topic => device.DataTopic;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Starting(logger, Topic, _options.Interval, device.Interface, device.Mac);
        liveness.Expect(nameof(PublishLoop), (_options.Interval * 3) + TimeSpan.FromSeconds(10));

        // Like the lab's script, publish at once: the first reading as soon as it exists (within one interval),
        // then ticks at fixed multiples of the interval from there.
        await FirstReadingAsync(stoppingToken).ConfigureAwait(false);
        await TickSchedule.RunAsync(_options.Interval, timeProvider, Tick, "publish tick", stoppingToken).ConfigureAwait(false);
    }

    private void Tick()
    {
        // The next read first: a quick one (a simulated sensor) is in before this tick publishes; a DS18B20's
        // 750 ms conversion goes on meanwhile and is published next tick. The first tick publishes the read made at
        // start: a second read at the same instant would only cost a conversion.
        if (!_firstTick || latest.Current is null)
        {
            latest.RequestRead();
        }

        _firstTick = false;
        PublishTick();
        liveness.Beat(nameof(PublishLoop));
    }

    private async Task FirstReadingAsync(CancellationToken stoppingToken)
    {
        try
        {
            await latest.First.WaitAsync(_options.Interval, timeProvider, stoppingToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // No reading yet: the first tick says so, as every later one would.
        }
    }

    /// <summary>One tick: queue the newest reading if it is fresh enough.</summary>
    internal TickOutcome PublishTick()
    {
        var reading = latest.Current;

        // Aged on the monotonic clock: NTP stepping the wall clock must not make a fresh reading stale, nor a stale one fresh.
        var age = reading is null ? TimeSpan.MaxValue : timeProvider.GetElapsedTime(reading.Timestamp);
        if (age > _options.Interval * FreshIntervals)
        {
            if (_skipped++ == 0)
            {
                Log.SkippingStale(logger, Topic, _options.Interval * FreshIntervals);
            }

            return TickOutcome.SkippedStale;
        }

        if (_skipped > 0)
        {
            Log.FreshAgain(logger, _skipped);
            _skipped = 0;
        }

        byte[] payload = LabPayload.Serialize(reading!.Celsius, _options.Students, _options.Group, _options.Decimals);
        outbox.Enqueue(Topic, payload, _options.Qos, reading.TakenAt);
        return TickOutcome.Queued;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Publishing to {Topic} every {Interval} (interface {Interface}, MAC {Mac})")]
        public static partial void Starting(ILogger logger, string topic, TimeSpan interval, string @interface, string mac);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping publishes to {Topic}: no valid reading younger than {MaxAge}; see the sensor's error above")]
        public static partial void SkippingStale(ILogger logger, string topic, TimeSpan maxAge);

        [LoggerMessage(Level = LogLevel.Information, Message = "Fresh readings again after {Skipped} skipped tick(s)")]
        public static partial void FreshAgain(ILogger logger, int skipped);
    }
}
