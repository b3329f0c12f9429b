using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Resilience;

namespace LabTelemetry.Core.Delivery;

/// <summary>
/// Sends the outbox to the broker in order, up to <see cref="Window"/> publishes in flight, removing each reading only
/// once the broker has acknowledged it.
/// </summary>
/// <param name="refusals">The pace of retrying a publish the broker refused; started again by the next it takes.</param>
/// <param name="timeout">How long one publish may wait for its acknowledgement (<c>Mqtt:OperationTimeout</c>).</param>
/// <param name="acknowledged">Told of each reading the broker acknowledged (the status LED's heartbeat).</param>
internal sealed partial class OutboxSender(
    DiskOutbox outbox,
    MqttConnection connection,
    Backoff refusals,
    TimeSpan timeout,
    TimeProvider timeProvider,
    ILogger<OutboxSender> logger,
    Action? acknowledged = null) : BackgroundService
{
    // A window, not one round trip per reading, so a backlog drains at the rate the link carries; MQTTnet sends
    // them in the order they were started.
    // Like paho's default of 20 in-flight messages: enough to hide the round trip on a LAN.
    public const int Window = 16;

    // After a publish that went unanswered, give the supervisor a moment to check the link before trying it again.
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);

    // A 3.1.1 broker closes the connection on a packet above its max_packet_size, without a word: a link that dies
    // this soon after a reading was sent may have died of it, and a reading that has done so at the head of this many
    // connections in a row is taken for the cause. (A twin taking our session over drops us at moments of its own.)
    private static readonly TimeSpan SuspectWithin = TimeSpan.FromSeconds(1);
    private const int DropsBeforeSettingAside = 3;

    // At most two "Published" lines a second: at 10 Hz a line per reading cost a tenth of the worker's CPU, and each
    // is a write journald makes to the SD card. The readings in between are counted in the next line.
    private static readonly TimeSpan PublishedLineEvery = TimeSpan.FromMilliseconds(500);

    private readonly Queue<(OutboxMessage Message, Task<PublishOutcome> Outcome, long Sent)> _inFlight = new();
    private int _unanswered;
    private long _suspect;
    private int _dropsUnderSuspect;
    private long _drainStart;
    private int _drained;
    private long? _publishedLineAt;
    private int _unlogged;

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
        int window = _unanswered + refusals.Failures > 0 ? 1 : Window;
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
                acknowledged?.Invoke();
                if (refusals.Failures > 0)
                {
                    Log.AcceptedAgain(logger, message.Topic, refusals.Failures);
                }

                refusals.Reset();
                _unanswered = _dropsUnderSuspect = 0;
                Report(message);
                return true;
            case PublishVerdict.Rejected:
                SetAside(message, outcome.Problem!);
                return false;
            case PublishVerdict.Refused:
                await SettleInFlightAsync().ConfigureAwait(false);
                if (refusals.Failures == 0)
                {
                    Log.Refused(logger, outcome.Problem!, outbox.Count);
                }

                // The link is fine and pinging would not help: wait as a reconnect would, then try the same reading.
                await Task.Delay(refusals.NextDelay(), timeProvider, cancellationToken).ConfigureAwait(false);
                return false;
            default:
                await SettleInFlightAsync().ConfigureAwait(false);
                if (_unanswered++ == 0)
                {
                    Log.Waiting(logger, outbox.Count, outcome.Problem ?? "unknown");
                }

                bool suspect = outcome.LinkDropped && timeProvider.GetElapsedTime(sent) < SuspectWithin;
                _dropsUnderSuspect = suspect ? (_suspect == message.Sequence ? _dropsUnderSuspect + 1 : 1) : 0;
                _suspect = message.Sequence;
                if (_dropsUnderSuspect >= DropsBeforeSettingAside)
                {
                    SetAside(message, $"{connection.Broker} closed the connection each of the {_dropsUnderSuspect} times this reading was sent (larger than its max_packet_size?)");
                    return false;
                }

                connection.ReportUnhealthy();
                await Task.Delay(RetryPause, timeProvider, cancellationToken).ConfigureAwait(false);
                return false;
        }
    }

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
        _dropsUnderSuspect = 0;
        string? kept = outbox.SetAside(message.Sequence);
        Log.SetAside(logger, problem, kept ?? "nowhere: it could not be copied, and is lost", outbox.SetAsideCount);
    }

    private void Start(OutboxMessage message, CancellationToken cancellationToken) =>
        _inFlight.Enqueue((message, connection.Publisher.PublishAsync(message.Topic, message.Payload, message.Qos, timeout, cancellationToken, message.TakenAt, message.Sequence), timeProvider.GetTimestamp()));

    // Live readings are logged one by one; a backlog is summed up, so a drain of thousands does not flood the log.
    private void Report(OutboxMessage message)
    {
        int waiting = outbox.Count;
        if (_drained == 0 && waiting == 0)
        {
            ReportLive(message);
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

    private void ReportLive(OutboxMessage message)
    {
        long now = timeProvider.GetTimestamp();
        if (_publishedLineAt is { } last && timeProvider.GetElapsedTime(last, now) < PublishedLineEvery)
        {
            _unlogged++;
            return;
        }

        _publishedLineAt = now;
        if (_unlogged == 0)
        {
            Log.Published(logger, message.Topic, new PublishedPayload(message.Payload));
        }
        else
        {
            Log.PublishedMore(logger, message.Topic, new PublishedPayload(message.Payload), _unlogged);
            _unlogged = 0;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Published {Payload} to {Topic}")]
        public static partial void Published(ILogger logger, string topic, PublishedPayload payload);

        [LoggerMessage(Level = LogLevel.Information, Message = "Published {Payload} to {Topic}, and {Unlogged} more since the line before")]
        public static partial void PublishedMore(ILogger logger, string topic, PublishedPayload payload, int unlogged);

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
