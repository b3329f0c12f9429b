using System.Buffers;
using System.Threading.Channels;
using LabTelemetry.Core.Device;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// The one MQTT connection: connects, publishes and subscribes, each under its own timeout. It never
/// reconnects by itself: MQTTnet v5 has no managed client, and reconnecting from inside its
/// <c>DisconnectedAsync</c> handler risks a deadlock, so a supervising loop calls <see cref="ConnectAsync"/>.
/// </summary>
public sealed class MqttConnection : IAsyncDisposable
{
    private const int ReceivedCapacity = 1024;

    private readonly MqttOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<MqttConnection> _logger;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _clientOptions;
    private readonly List<string> _subscriptions = [];
    private readonly Channel<ReceivedMessage> _received = Channel.CreateBounded<ReceivedMessage>(
        new BoundedChannelOptions(ReceivedCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private TaskCompletionSource _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _droppedMessages;
    private volatile bool _leaving;

    public MqttConnection(IOptions<MqttOptions> options, DeviceIdentity device, TimeProvider timeProvider, ILogger<MqttConnection> logger)
    {
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _clientOptions = MqttClientOptionsFactory.Create(_options, device);
        _client = new MqttClientFactory().CreateMqttClient();
        _client.DisconnectedAsync += OnDisconnectedAsync;
        _client.ApplicationMessageReceivedAsync += OnMessageReceivedAsync;
    }

    public string ClientId => _clientOptions.ClientId;

    public string Broker => $"{_options.Host}:{_options.Port}";

    public bool IsConnected => _client.IsConnected;

    /// <summary>Gets the messages received on our subscriptions; when the reader falls behind, new ones are dropped and counted.</summary>
    public ChannelReader<ReceivedMessage> Received => _received.Reader;

    /// <summary>Gets how many received messages were dropped because the reader fell behind.</summary>
    public long DroppedMessages => Interlocked.Read(ref _droppedMessages);

    /// <summary>Adds a topic filter, subscribed on every connect where the broker kept no session.</summary>
    public void Subscribe(string topicFilter)
    {
        lock (_subscriptions)
        {
            _subscriptions.Add(topicFilter);
        }
    }

    /// <summary>Connects once; throws when the broker refuses or does not answer in time.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_client.IsConnected)
        {
            // A connection that no longer answers pings: drop it before starting a new one.
            await _client.TryDisconnectAsync(MqttClientDisconnectOptionsReason.NormalDisconnection).ConfigureAwait(false);
        }

        _disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _leaving = false;
        var result = await WithTimeout("connect", ct => _client.ConnectAsync(_clientOptions, ct), cancellationToken).ConfigureAwait(false);

        // A broker that kept our session also kept our subscriptions; one that did not needs them again.
        if (!result.IsSessionPresent)
        {
            await SubscribeAllAsync(cancellationToken).ConfigureAwait(false);
        }

        MqttLog.Connected(_logger, Broker, ClientId, result.IsSessionPresent);
    }

    /// <summary>Pings the broker; <see langword="false"/> when not connected or no answer came in time.</summary>
    public async Task<bool> IsAliveAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            return false;
        }

        using var timeout = new CancellationTokenSource(_options.OperationTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        return await _client.TryPingAsync(linked.Token).ConfigureAwait(false);
    }

    /// <summary>Completes when the connection drops, or after <paramref name="atMost"/>, whichever comes first.</summary>
    public async Task WaitForDisconnectAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        try
        {
            await _disconnected.Task.WaitAsync(atMost, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Time for the next health check.
        }
    }

    /// <summary>Publishes one message, not retained, and waits at most <paramref name="timeout"/> for the broker's acknowledgement.</summary>
    public async Task<PublishOutcome> PublishAsync(string topic, byte[] payload, int qos, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            return PublishOutcome.Failed($"not connected to {Broker}");
        }

        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos)
            .WithRetainFlag(false)
            .Build();
        try
        {
            // MQTTnet waits for a PUBACK forever unless told otherwise.
            using var timeoutSource = new CancellationTokenSource(timeout, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
            var result = await _client.PublishAsync(message, linked.Token).ConfigureAwait(false);
            return result.IsSuccess ? PublishOutcome.Success : PublishOutcome.Failed($"the broker refused it: {result.ReasonCode} {result.ReasonString}".TrimEnd());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return PublishOutcome.Failed($"no acknowledgement within {timeout.TotalSeconds:0.##} s");
        }
        catch (Exception ex) when (ex is MqttCommunicationException or InvalidOperationException)
        {
            return PublishOutcome.Failed(ex.Message);
        }
    }

    /// <summary>Says goodbye to the broker, so it does not wait a keep-alive to notice.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            return;
        }

        _leaving = true;
        using var timeout = new CancellationTokenSource(_options.OperationTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var options = new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build();
            await _client.DisconnectAsync(options, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or MqttCommunicationException)
        {
            MqttLog.DisconnectIncomplete(_logger, Broker, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
        _client.Dispose();
    }

    private async Task SubscribeAllAsync(CancellationToken cancellationToken)
    {
        string[] filters;
        lock (_subscriptions)
        {
            filters = [.. _subscriptions];
        }

        foreach (string filter in filters)
        {
            var options = new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build();
            var result = await WithTimeout("subscribe", ct => _client.SubscribeAsync(options, ct), cancellationToken).ConfigureAwait(false);
            var code = result.Items.Select(i => i.ResultCode).FirstOrDefault();
            if (code is MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2)
            {
                MqttLog.Subscribed(_logger, filter, code);
            }
            else
            {
                MqttLog.SubscriptionRefused(_logger, filter, code);
            }
        }
    }

    private async Task<T> WithTimeout<T>(string what, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.OperationTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await operation(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Broker} did not answer the {what} within {_options.OperationTimeout.TotalSeconds:0.##} s (Mqtt:OperationTimeout).", ex);
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        // Raised for failed connect attempts too; those are the supervisor's to report.
        if (e.ClientWasConnected && _leaving)
        {
            MqttLog.Left(_logger, Broker);
        }
        else if (e.ClientWasConnected)
        {
            MqttLog.Disconnected(_logger, Broker, e.Reason, e.ReasonString ?? e.Exception?.Message ?? string.Empty);
        }

        _disconnected.TrySetResult();
        return Task.CompletedTask;
    }

    // Never throws: a throwing handler leaves a QoS 1 message unacknowledged, and the broker sends it again forever.
    private Task OnMessageReceivedAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        try
        {
            var message = new ReceivedMessage(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray());
            if (!_received.Writer.TryWrite(message))
            {
                long dropped = Interlocked.Increment(ref _droppedMessages);
                if (dropped == 1 || dropped % 1000 == 0)
                {
                    MqttLog.ReceivedDropped(_logger, dropped);
                }
            }
        }
#pragma warning disable CA1031 // The handler must not throw, whatever arrives.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            MqttLog.ReceiveFailed(_logger, e.ApplicationMessage.Topic, ex.Message);
        }

        return Task.CompletedTask;
    }
}
