using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Sends the outbox to the broker in order, removing each reading only once the broker has acknowledged it.
/// Up to <see cref="Window"/> publishes are in flight at once, so a backlog drains at the rate the link carries,
/// not one round trip per reading; MQTTnet sends them in the order they were started.
/// </summary>
internal sealed partial class OutboxSender(
    DiskOutbox outbox,
    MqttConnection connection,
    IOptions<MqttOptions> mqttOptions,
    TimeProvider timeProvider,
    ILogger<OutboxSender> logger) : BackgroundService
{
    // Like paho's default of 20 in-flight messages: enough to hide the round trip on a LAN.
    public const int Window = 16;

    // After a failed publish, give the supervisor a moment to check the link before trying the same reading again.
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);

    private readonly Queue<(OutboxMessage Message, Task<PublishOutcome> Outcome)> _inFlight = new();

    private readonly TimeSpan _timeout = mqttOptions.Value.OperationTimeout;
    private int _failures;
    private long _drainStart;
    private int _drained;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await SendNextAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Tops up the publishes in flight, then settles the oldest; <see langword="true"/> when the broker took it.</summary>
    internal async Task<bool> SendNextAsync(CancellationToken cancellationToken)
    {
        if (_inFlight.Count == 0)
        {
            var first = await outbox.PeekAsync(cancellationToken).ConfigureAwait(false);
            await connection.WaitUntilConnectedAsync(cancellationToken).ConfigureAwait(false);
            Start(first, cancellationToken);
        }

        while (_inFlight.Count < Window && outbox.PeekAfter(_inFlight.Last().Message.Sequence) is { } next)
        {
            Start(next, cancellationToken);
        }

        var (message, pending) = _inFlight.Dequeue();
        var outcome = await pending.ConfigureAwait(false);
        if (!outcome.Delivered)
        {
            // What followed it is sent again from this one on, in order; the broker may see some twice (at least once).
            foreach (var (_, later) in _inFlight)
            {
                await later.ConfigureAwait(false);
            }

            _inFlight.Clear();
            if (_failures++ == 0)
            {
                Log.Waiting(logger, outbox.Count, outcome.Problem ?? "unknown");
            }

            connection.ReportUnhealthy();
            await Task.Delay(RetryPause, timeProvider, cancellationToken).ConfigureAwait(false);
            return false;
        }

        outbox.Acknowledge(message.Sequence);
        _failures = 0;
        Report(message);
        return true;
    }

    private void Start(OutboxMessage message, CancellationToken cancellationToken) =>
        _inFlight.Enqueue((message, connection.PublishAsync(message.Topic, message.Payload, message.Qos, _timeout, cancellationToken, message.TakenAt, message.Sequence)));

    // Live readings are logged one by one; a backlog is summed up, so a drain of thousands does not flood the log.
    private void Report(OutboxMessage message)
    {
        int waiting = outbox.Count;
        if (_drained == 0 && waiting == 0)
        {
            Log.Published(logger, message.Topic, new Utf8Text(message.Payload));
            return;
        }

        if (_drained++ == 0)
        {
            _drainStart = timeProvider.GetTimestamp();
            Log.Draining(logger, waiting + 1);
        }

        if (waiting == 0)
        {
            double seconds = timeProvider.GetElapsedTime(_drainStart).TotalSeconds;
            Log.Drained(logger, _drained, seconds);
            _drained = 0;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Published {Payload} to {Topic}")]
        public static partial void Published(ILogger logger, string topic, Utf8Text payload);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Readings wait in the outbox ({Waiting} so far): {Problem}")]
        public static partial void Waiting(ILogger logger, int waiting, string problem);

        [LoggerMessage(Level = LogLevel.Information, Message = "Sending {Backlog} buffered reading(s) in order")]
        public static partial void Draining(ILogger logger, int backlog);

        [LoggerMessage(Level = LogLevel.Information, Message = "Delivered {Delivered} buffered reading(s) in {Seconds:0.##} s")]
        public static partial void Drained(ILogger logger, int delivered, double seconds);
    }
}
