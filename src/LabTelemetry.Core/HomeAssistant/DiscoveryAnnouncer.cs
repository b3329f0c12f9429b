using System.Text;
using System.Threading.Channels;
using LabTelemetry.Core.Mqtt;

namespace LabTelemetry.Core.HomeAssistant;

/// <summary>
/// Announces the thermometer to Home Assistant on every connect and on Home Assistant's birth message; once
/// discovery is turned off, clears what it announced, once.
/// </summary>
/// <param name="config">The config's topic and payload, made by the composition root from the device and the interval.</param>
internal sealed partial class DiscoveryAnnouncer(
    MqttConnection connection,
    HomeAssistantOptions options,
    (string Topic, byte[] Payload) config,
    AnnouncedTopic announced,
    TimeSpan timeout,
    ILogger<DiscoveryAnnouncer> logger) : BackgroundService
{
    // Home Assistant's birth is online on <prefix>/status, heard only while discovery is on.
    private const int BirthPayloadBytes = 64;

    private readonly Channel<bool> _due = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private ChannelReader<ReceivedMessage>? _births;
    private string? _remembered;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _remembered = announced.Read();
        if (options.Discovery || _remembered is not null)
        {
            // Registered before the connection supervisor starts, so the first connect already subscribes and is heard.
            _births = options.Discovery ? connection.Subscribe($"{options.Prefix}/status", BirthPayloadBytes) : null;
            connection.Connected += OnConnected;
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Discovery && _remembered is null)
        {
            return;
        }

        var births = _births is null ? Task.CompletedTask : HearBirthsAsync(_births, stoppingToken);
        await foreach (bool _ in _due.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            if (options.Discovery)
            {
                await AnnounceAsync(stoppingToken).ConfigureAwait(false);
            }
            else if (await PublishAsync(_remembered!, [], stoppingToken).ConfigureAwait(false))
            {
                Log.Cleared(logger, _remembered!);
                announced.Forget();
                connection.Connected -= OnConnected;
                break;
            }
        }

        await births.ConfigureAwait(false);
    }

    public override void Dispose()
    {
        connection.Connected -= OnConnected;
        base.Dispose();
    }

    private async Task AnnounceAsync(CancellationToken cancellationToken)
    {
        if (_remembered is { } old && old != config.Topic && await PublishAsync(old, [], cancellationToken).ConfigureAwait(false))
        {
            // A new node id or prefix: what was announced under the old one goes.
            Log.Cleared(logger, old);
            _remembered = null;
        }

        if (await PublishAsync(config.Topic, config.Payload, cancellationToken).ConfigureAwait(false) && _remembered != config.Topic)
        {
            Log.Announced(logger, config.Topic);
            _remembered = announced.Write(config.Topic) ? config.Topic : null;
        }
    }

    private async Task<bool> PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken)
    {
        var outcome = await connection.Publisher.PublishAsync(topic, payload, 1, timeout, cancellationToken, retain: true).ConfigureAwait(false);
        if (outcome.Verdict != PublishVerdict.Delivered)
        {
            // The next connect tries again.
            Log.NotAnnounced(logger, topic, outcome.Problem ?? outcome.Verdict.ToString());
        }

        return outcome.Verdict == PublishVerdict.Delivered;
    }

    private async Task HearBirthsAsync(ChannelReader<ReceivedMessage> births, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var birth in births.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Encoding.UTF8.GetString(birth.Payload) == "online")
                {
                    _due.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void OnConnected() => _due.Writer.TryWrite(true);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Home Assistant: announced the thermometer on {Topic} (retained)")]
        public static partial void Announced(ILogger logger, string topic);

        [LoggerMessage(Level = LogLevel.Information, Message = "Home Assistant: cleared the thermometer announced on {Topic} (HomeAssistant:Discovery is off)")]
        public static partial void Cleared(ILogger logger, string topic);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Home Assistant: could not publish on {Topic}: {Problem}; tried again at the next connect")]
        public static partial void NotAnnounced(ILogger logger, string topic, string problem);
    }
}
