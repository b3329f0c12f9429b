using System.Collections.Concurrent;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace LabTelemetry.Tests.Integration;

/// <summary>A separate MQTT client, as the course's grader or a student's mosquitto_sub would be.</summary>
public sealed class TestSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly string _clientId = "grader-" + Guid.NewGuid().ToString("N");
    private MosquittoBroker _broker = null!;
    private bool _persistent;

    public ConcurrentQueue<(string Topic, string Payload, DateTimeOffset At)> Received { get; } = new();

    /// <summary>Gets the <c>taken-at</c> user property of every message that had one (MQTT 5), duplicates and all.</summary>
    public ConcurrentQueue<string> TakenAt { get; } = new();

    /// <summary>Gets the <c>sequence</c> user property (the outbox's record number) of every message that had one, duplicates and all.</summary>
    public ConcurrentQueue<string> Sequences { get; } = new();

    /// <summary>Gets every message whole, in the order of arrival: its topic, payload and user properties (MQTT 5).</summary>
    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    /// <summary>One message as it arrived.</summary>
    public sealed record Delivery(string Topic, string Payload, string? Sequence, string? TakenAt, DateTimeOffset At);

    /// <summary>Connects and subscribes. A persistent subscriber (MQTT 5, session kept a day) misses nothing while away.</summary>
    public static async Task<TestSubscriber> ConnectAsync(MosquittoBroker broker, string topicFilter, bool persistent = false)
    {
        var subscriber = new TestSubscriber { _broker = broker, _persistent = persistent };
        subscriber._client.ApplicationMessageReceivedAsync += e =>
        {
            subscriber.Received.Enqueue((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload), TimeProvider.System.GetUtcNow()));
            if (e.ApplicationMessage.UserProperties?.FirstOrDefault(p => p.Name == "taken-at") is { } takenAt)
            {
                subscriber.TakenAt.Enqueue(Encoding.UTF8.GetString(takenAt.ValueBuffer.Span));
            }

            if (e.ApplicationMessage.UserProperties?.FirstOrDefault(p => p.Name == "sequence") is { } sequence)
            {
                subscriber.Sequences.Enqueue(Encoding.UTF8.GetString(sequence.ValueBuffer.Span));
            }

            string? Property(string name) =>
                e.ApplicationMessage.UserProperties?.FirstOrDefault(p => p.Name == name) is { } property ? Encoding.UTF8.GetString(property.ValueBuffer.Span) : null;
            subscriber.Deliveries.Enqueue(new Delivery(e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload), Property("sequence"), Property("taken-at"), TimeProvider.System.GetUtcNow()));

            return Task.CompletedTask;
        };
        await subscriber.ReconnectAsync();
        await subscriber._client.SubscribeAsync(topicFilter, MqttQualityOfServiceLevel.AtLeastOnce);
        return subscriber;
    }

    /// <summary>Connects again (after a broker restart), with the same client id and so the same session.</summary>
    public async Task ReconnectAsync()
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_broker.Address, _broker.Port)
            .WithClientId(_clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500);
        if (_persistent)
        {
            options = options.WithCleanStart(false).WithSessionExpiryInterval(86_400);
        }

        await _client.ConnectAsync(options.Build());
    }

    public static async Task PublishAsync(MosquittoBroker broker, string topic, string payload)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(broker.Address, broker.Port).Build());
        await client.PublishStringAsync(topic, payload, MqttQualityOfServiceLevel.AtLeastOnce);
        await client.DisconnectAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
    }
}
