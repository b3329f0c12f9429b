using LabTelemetry.Core.Mqtt;
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

    // A link that dies this soon after a reading was sent may have died of it.
    private static readonly TimeSpan DiedOfIt = TimeSpan.FromSeconds(1);

    private readonly Queue<(OutboxMessage Message, Task<PublishOutcome> Outcome, long Sent)> _inFlight = new();

    // A reading at the head of this many connections that each died under it is taken for the cause.
    private const int DropsBeforeSettingAside = 3;

    private readonly TimeSpan _timeout = mqttOptions.Value.OperationTimeout;
    private int _failures;
    private int _refusals;
    private long _droppedHead;
    private int _droppedWithHead;
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

        // While the broker refuses or does not answer, one reading probes; the window opens again once it is taken.
        int window = _failures + _refusals > 0 ? 1 : Window;
        while (_inFlight.Count < window && outbox.PeekAfter(_inFlight.Last().Message.Sequence) is { } next)
        {
            Start(next, cancellationToken);
        }

        var (message, pending, sent) = _inFlight.Dequeue();
        var outcome = await pending.ConfigureAwait(false);
        switch (outcome.Verdict)
        {
            case PublishVerdict.Delivered:
                outbox.Acknowledge(message.Sequence);
                if (_refusals > 0)
                {
                    Log.AcceptedAgain(logger, message.Topic, _refusals);
                }

                _failures = _refusals = _droppedWithHead = 0;
                Report(message);
                return true;
            case PublishVerdict.Rejected:
                SetAside(message, outcome.Problem!);
                return false;
            case PublishVerdict.Refused:
                await SettleInFlightAsync().ConfigureAwait(false);
                if (_refusals++ == 0)
                {
                    Log.Refused(logger, outcome.Problem!, outbox.Count);
                }

                // The link is fine and pinging would not help: wait as a reconnect would, then try the same reading.
                await Task.Delay(RefusedPause(_refusals), timeProvider, cancellationToken).ConfigureAwait(false);
                return false;
            default:
                await SettleInFlightAsync().ConfigureAwait(false);
                if (_failures++ == 0)
                {
                    Log.Waiting(logger, outbox.Count, outcome.Problem ?? "unknown");
                }

                // A 3.1.1 broker closes the connection on a packet above its max_packet_size, without a word: the
                // same reading at the head of three connections in a row that each died within a second of it being
                // sent is set aside. (A twin taking our session over drops us at moments of its own.)
                bool diedOfIt = outcome.LinkDropped && timeProvider.GetElapsedTime(sent) < DiedOfIt;
                _droppedWithHead = diedOfIt ? (_droppedHead == message.Sequence ? _droppedWithHead + 1 : 1) : 0;
                _droppedHead = message.Sequence;
                if (_droppedWithHead >= DropsBeforeSettingAside)
                {
                    SetAside(message, $"{connection.Broker} closed the connection each of the {_droppedWithHead} times this reading was sent (larger than its max_packet_size?)");
                    return false;
                }

                connection.ReportUnhealthy();
                await Task.Delay(RetryPause, timeProvider, cancellationToken).ConfigureAwait(false);
                return false;
        }
    }

    /// <summary>The pause after the <paramref name="refusals"/>-th refusal in a row: 1, 2, 4 … s, capped like reconnects.</summary>
    internal TimeSpan RefusedPause(int refusals) =>
        TimeSpan.FromTicks(Math.Min(mqttOptions.Value.MaxReconnectDelay.Ticks, RetryPause.Ticks << Math.Min(refusals - 1, 20)));

    // What followed a failed publish is sent again from it on, in order; the broker may see some twice (at least once).
    private async Task SettleInFlightAsync()
    {
        foreach (var (_, later, _) in _inFlight)
        {
            await later.ConfigureAwait(false);
        }

        _inFlight.Clear();
    }

    private void SetAside(OutboxMessage message, string problem)
    {
        _droppedWithHead = 0;
        string? kept = outbox.SetAside(message.Sequence);
        Log.SetAside(logger, problem, kept ?? "nowhere: it could not be copied, and is lost", outbox.SetAsideCount);
    }

    // At most QoS 1: a reading an earlier version queued at QoS 2 goes as the rest do (2 is no longer offered, see TelemetryOptions).
    private void Start(OutboxMessage message, CancellationToken cancellationToken) =>
        _inFlight.Enqueue((message, connection.PublishAsync(message.Topic, message.Payload, Math.Min(message.Qos, 1), _timeout, cancellationToken, message.TakenAt, message.Sequence), timeProvider.GetTimestamp()));

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

        [LoggerMessage(Level = LogLevel.Warning, Message = "Readings wait in the outbox ({Waiting} so far): {Problem}; retrying with backoff, without a restart, until the broker takes them")]
        public static partial void Refused(ILogger logger, string problem, int waiting);

        [LoggerMessage(Level = LogLevel.Information, Message = "The broker takes publishes to {Topic} again, after {Refusals} refusal(s)")]
        public static partial void AcceptedAgain(ILogger logger, string topic, int refusals);

        [LoggerMessage(Level = LogLevel.Error, Message = "Set a reading aside, the broker will never take it: {Problem}. It is kept in {Path} ({Count} set aside so far); the readings after it go on")]
        public static partial void SetAside(ILogger logger, string problem, string path, long count);

        [LoggerMessage(Level = LogLevel.Information, Message = "Sending {Backlog} buffered reading(s) in order")]
        public static partial void Draining(ILogger logger, int backlog);

        [LoggerMessage(Level = LogLevel.Information, Message = "Delivered {Delivered} buffered reading(s) in {Seconds:0.##} s")]
        public static partial void Drained(ILogger logger, int delivered, double seconds);
    }
}
