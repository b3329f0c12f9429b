using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Results;
using LabTelemetry.Core.Telemetry;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Worker.Results;

/// <summary>Turns every message on <c>Results:Topic</c> into one structured log event, and says whether it is for our group.</summary>
internal sealed class ResultSubscriber(
    MqttConnection connection,
    IOptions<ResultsOptions> resultsOptions,
    IOptions<TelemetryOptions> telemetryOptions,
    ILogger<ResultSubscriber> logger) : BackgroundService
{
    private readonly ResultsOptions _options = resultsOptions.Value;
    private readonly string _group = telemetryOptions.Value.Group;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Registered before the connection supervisor starts, so the first connect already subscribes.
        connection.Subscribe(_options.Topic);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var message in connection.Received.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            Handle(message);
        }
    }

    internal void Handle(ReceivedMessage message)
    {
        string payload = ResultText.ToLogLine(message.Payload, _options.MaxLoggedChars);
        string topic = ResultText.ToLogLine(System.Text.Encoding.UTF8.GetBytes(message.Topic), _options.MaxLoggedChars);
        if (ResultMatcher.ConcernsGroup(message.Topic, message.Payload, _group))
        {
            ResultLog.ForOurGroup(logger, topic, _group, payload);
        }
        else
        {
            ResultLog.ForAnotherGroup(logger, _options.OthersLevel, topic, payload);
        }
    }
}
