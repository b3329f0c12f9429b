using System.Collections.Concurrent;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace LabTelemetry.Tests.Integration;

/// <summary>A separate MQTT client, as the course's grader or a student's mosquitto_sub would be.</summary>
public sealed class TestSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();

    public ConcurrentQueue<(string Topic, string Payload, DateTimeOffset At)> Received { get; } = new();

    public static async Task<TestSubscriber> ConnectAsync(MosquittoBroker broker, string topicFilter)
    {
        var subscriber = new TestSubscriber();
        subscriber._client.ApplicationMessageReceivedAsync += e =>
        {
            subscriber.Received.Enqueue((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload), TimeProvider.System.GetUtcNow()));
            return Task.CompletedTask;
        };
        await subscriber._client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(MosquittoBroker.Host, broker.Port).WithClientId("test-" + Guid.NewGuid().ToString("N")).Build());
        await subscriber._client.SubscribeAsync(topicFilter, MqttQualityOfServiceLevel.AtLeastOnce);
        return subscriber;
    }

    public static async Task PublishAsync(MosquittoBroker broker, string topic, string payload)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(MosquittoBroker.Host, broker.Port).Build());
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
