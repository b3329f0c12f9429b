using System.Buffers;
using MQTTnet;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// The MQTT client as <see cref="MqttConnection"/> uses it, and no more: the seam where tests play the broker
/// (see <c>FakeBrokerClient</c>) while <see cref="MqttNetBrokerClient"/> speaks to a real one through MQTTnet.
/// </summary>
public interface IBrokerClient : IDisposable
{
    bool IsConnected { get; }

    /// <summary>Gets or sets what runs when the link drops, and after a failed connect attempt.</summary>
    Func<BrokerDisconnected, Task>? Disconnected { get; set; }

    /// <summary>Gets or sets what runs for each message on our subscriptions; it must not throw.</summary>
    Func<string, ReadOnlySequence<byte>, Task>? MessageReceived { get; set; }

    /// <summary>Sends CONNECT and returns the CONNACK, refusals included; throws when no CONNACK comes.</summary>
    Task<ConnectAnswer> ConnectAsync(MqttClientOptions options, CancellationToken cancellationToken);

    Task<PublishAnswer> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken);

    Task<SubscribeAnswer> SubscribeAsync(string topicFilter, CancellationToken cancellationToken);

    /// <summary>Sends PINGREQ; <see langword="false"/> when no PINGRESP came.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>A clean DISCONNECT, which tells the broker not to publish our will.</summary>
    Task DisconnectAsync(CancellationToken cancellationToken);

    /// <summary>Drops a link that stopped answering, without waiting on it.</summary>
    Task AbandonAsync();
}

/// <summary>The broker's CONNACK.</summary>
/// <param name="Code">Success, or why not.</param>
/// <param name="SessionPresent">The broker kept our session.</param>
/// <param name="ReasonString">MQTT 5: the broker's words.</param>
/// <param name="MaximumPacketSize">MQTT 5: the largest packet the broker takes from us; 0 when it did not say.</param>
public sealed record ConnectAnswer(MqttClientConnectResultCode Code, bool SessionPresent, string? ReasonString = null, long MaximumPacketSize = 0);

/// <summary>The broker's PUBACK or PUBCOMP (QoS 0: success as soon as it is sent).</summary>
public sealed record PublishAnswer(bool IsSuccess, MqttClientPublishReasonCode Code, string? ReasonString = null);

/// <summary>The broker's SUBACK for one topic filter.</summary>
public sealed record SubscribeAnswer(MqttClientSubscribeResultCode Code)
{
    public bool Granted => Code is MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2;
}

/// <summary>Why the link dropped (MQTT 5 brokers say why in their DISCONNECT).</summary>
public sealed record BrokerDisconnected(bool ClientWasConnected, MqttClientDisconnectReason Reason, string? ReasonString = null, Exception? Exception = null);

/// <summary>The real client: MQTTnet v5's <see cref="IMqttClient"/>.</summary>
public sealed class MqttNetBrokerClient : IBrokerClient
{
    private const int ConnectPacketType = 1;

    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();

    public MqttNetBrokerClient()
    {
        _client.DisconnectedAsync += e => Disconnected?.Invoke(new BrokerDisconnected(e.ClientWasConnected, e.Reason, e.ReasonString, e.Exception)) ?? Task.CompletedTask;
        _client.ApplicationMessageReceivedAsync += e => MessageReceived?.Invoke(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload) ?? Task.CompletedTask;
    }

    public bool IsConnected => _client.IsConnected;

    public Func<BrokerDisconnected, Task>? Disconnected { get; set; }

    public Func<string, ReadOnlySequence<byte>, Task>? MessageReceived { get; set; }

    public async Task<ConnectAnswer> ConnectAsync(MqttClientOptions options, CancellationToken cancellationToken)
    {
        // MQTTnet's keep-alive loop wakes every 250 ms, whatever the period: four wake-ups a second on an idle Pi. The
        // supervisor pings at its own pace instead (Mqtt:HealthCheckInterval, at most half the keep-alive). The CONNECT
        // still carries the keep-alive, so the broker publishes our will when we vanish; the loop, which reads the
        // option once the CONNACK is in, finds zero.
        Task StopKeepAliveLoop(MQTTnet.Diagnostics.PacketInspection.InspectMqttPacketEventArgs e)
        {
            if (e.Direction == MQTTnet.Diagnostics.PacketInspection.MqttPacketFlowDirection.Outbound && e.Buffer.Length > 0 && e.Buffer[0] >> 4 == ConnectPacketType)
            {
                options.KeepAlivePeriod = TimeSpan.Zero;
            }

            return Task.CompletedTask;
        }

        _client.InspectPacketAsync += StopKeepAliveLoop;
        try
        {
            var result = await _client.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
            return new ConnectAnswer(result.ResultCode, result.IsSessionPresent, result.ReasonString, result.MaximumPacketSize ?? 0);
        }
        finally
        {
            _client.InspectPacketAsync -= StopKeepAliveLoop;
        }
    }

    public async Task<PublishAnswer> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        var result = await _client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
        return new PublishAnswer(result.IsSuccess, result.ReasonCode, result.ReasonString);
    }

    public async Task<SubscribeAnswer> SubscribeAsync(string topicFilter, CancellationToken cancellationToken)
    {
        var options = new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topicFilter, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build();
        var result = await _client.SubscribeAsync(options, cancellationToken).ConfigureAwait(false);
        return new SubscribeAnswer(result.Items.Select(i => i.ResultCode).FirstOrDefault());
    }

    public Task<bool> PingAsync(CancellationToken cancellationToken) => _client.TryPingAsync(cancellationToken);

    public Task DisconnectAsync(CancellationToken cancellationToken) =>
        _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), cancellationToken);

    public Task AbandonAsync() => _client.TryDisconnectAsync(MqttClientDisconnectOptionsReason.NormalDisconnection);

    public void Dispose() => _client.Dispose();
}
