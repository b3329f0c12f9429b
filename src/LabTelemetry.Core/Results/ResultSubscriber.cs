using System.Threading.Channels;
using LabTelemetry.Core.Mqtt;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Results;

/// <summary>
/// Turns every message on <c>Results:Topic</c> into one structured log event saying whether it is for our group;
/// whatever arrives costs bounded memory and at most <c>Results:MaxLoggedPerSecond</c> lines a second.
/// </summary>
/// <param name="group">Our group (<c>Telemetry:Group</c>), as the grader names it.</param>
/// <param name="answeredUs">Told of each result for our group (the status LED shows it).</param>
internal sealed partial class ResultSubscriber(
    MqttConnection connection,
    IOptions<ResultsOptions> resultsOptions,
    string group,
    TimeProvider timeProvider,
    ILogger<ResultSubscriber> logger,
    Action? answeredUs = null) : BackgroundService
{
    private static readonly TimeSpan SummaryEvery = TimeSpan.FromSeconds(1);

    private readonly ResultsOptions _options = resultsOptions.Value;
    private readonly LogBudget _budget = new(resultsOptions.Value.MaxLoggedPerSecond, timeProvider);

    private ChannelReader<ReceivedMessage>? _results;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Registered before the connection supervisor starts, so the first connect already subscribes.
        _results = connection.Subscribe(_options.Topic, _options.MaxPayloadBytes);
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => ReadAsync(_results!, stoppingToken);

    /// <summary>Logs what arrives until <paramref name="stoppingToken"/> fires or the channel is completed.</summary>
    internal async Task ReadAsync(ChannelReader<ReceivedMessage> reader, CancellationToken stoppingToken)
    {
        // One wait on the channel at a time, kept across timeouts: a wait abandoned every second stays queued in the
        // channel until the next message, one more per quiet second (86 400 a day).
        var waiting = reader.WaitToReadAsync(stoppingToken).AsTask();
        while (true)
        {
            if (_budget.Suppressed == 0)
            {
                // Nothing left unlogged: no reason to wake before the next message.
                await waiting.ConfigureAwait(false);
            }
            else
            {
                try
                {
                    await waiting.WaitAsync(SummaryEvery, timeProvider, stoppingToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Quiet for a second: time to report what a flood left unlogged.
                }
            }

            if (waiting.IsCompleted)
            {
                if (!await waiting.ConfigureAwait(false))
                {
                    return; // completed: nothing more will arrive
                }

                while (reader.TryRead(out var message))
                {
                    Handle(message);
                }

                waiting = reader.WaitToReadAsync(stoppingToken).AsTask();
            }

            ReportSuppressed();
        }
    }

    internal void Handle(ReceivedMessage message)
    {
        bool ours = ResultMatcher.ConcernsGroup(message.Topic, message.Payload, group);
        if (ours)
        {
            answeredUs?.Invoke();
        }

        if (!_budget.TryTake())
        {
            return;
        }

        string payload = SafeLogLine.From(message.Payload, _options.MaxLoggedChars);
        string topic = SafeLogLine.From(System.Text.Encoding.UTF8.GetBytes(message.Topic), _options.MaxLoggedChars);
        if (ours)
        {
            Log.ForOurGroup(logger, topic, group, payload);
        }
        else
        {
            Log.ForAnotherGroup(logger, _options.OthersLevel, topic, payload);
        }
    }

    internal void ReportSuppressed()
    {
        int suppressed = _budget.TakeSuppressed();
        if (suppressed > 0)
        {
            Log.Suppressed(logger, suppressed, _options.MaxLoggedPerSecond);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "RESULT for our group {Group} on {Topic}: {Payload}")]
        public static partial void ForOurGroup(ILogger logger, string topic, string group, string payload);

        [LoggerMessage(EventId = 101, Message = "RESULT for another group on {Topic}: {Payload}")]
        public static partial void ForAnotherGroup(ILogger logger, LogLevel level, string topic, string payload);

        [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "{Suppressed} RESULT message(s) not logged: more than {PerSecond} a second (Results:MaxLoggedPerSecond)")]
        public static partial void Suppressed(ILogger logger, int suppressed, int perSecond);
    }
}
