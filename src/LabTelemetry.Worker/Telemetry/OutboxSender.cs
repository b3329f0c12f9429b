using System.Diagnostics;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Worker.Telemetry;

/// <summary>
/// Sends the outbox to the broker in order, one reading at a time, removing each only once the broker has
/// acknowledged it. After an outage the backlog drains as fast as the broker acknowledges.
/// </summary>
internal sealed class OutboxSender(
    DiskOutbox outbox,
    MqttConnection connection,
    IOptions<MqttOptions> mqttOptions,
    TimeProvider timeProvider,
    ILogger<OutboxSender> logger) : BackgroundService
{
    // After a failed publish, give the supervisor a moment to check the link before trying the same reading again.
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);

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

    /// <summary>Sends the oldest waiting reading; <see langword="true"/> when the broker took it.</summary>
    internal async Task<bool> SendNextAsync(CancellationToken cancellationToken)
    {
        var message = await outbox.PeekAsync(cancellationToken).ConfigureAwait(false);
        await connection.WaitUntilConnectedAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await connection.PublishAsync(message.Topic, message.Payload, message.Qos, _timeout, cancellationToken, message.TakenAt, message.Sequence).ConfigureAwait(false);
        if (!outcome.Delivered)
        {
            if (_failures++ == 0)
            {
                TelemetryLog.Waiting(logger, outbox.Count, outcome.Problem ?? "unknown");
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

    // Live readings are logged one by one; a backlog is summed up, so a drain of thousands does not flood the log.
    private void Report(OutboxMessage message)
    {
        int waiting = outbox.Count;
        if (_drained == 0 && waiting == 0)
        {
            TelemetryLog.Published(logger, message.Topic, new Utf8Text(message.Payload));
            return;
        }

        if (_drained++ == 0)
        {
            _drainStart = Stopwatch.GetTimestamp();
            TelemetryLog.Draining(logger, waiting + 1);
        }

        if (waiting == 0)
        {
            double seconds = Stopwatch.GetElapsedTime(_drainStart).TotalSeconds;
            TelemetryLog.Drained(logger, _drained, seconds);
            _drained = 0;
        }
    }
}
