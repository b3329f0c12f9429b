using System.Threading.Channels;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Resilience;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Exceptions;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// The one MQTT connection: connects, says goodbye, and holds its state, its publisher, its subscriptions and what
/// arrives on them. It never reconnects by itself: the <see cref="ConnectionSupervisor"/> does.
/// </summary>
public sealed partial class MqttConnection : IAsyncDisposable
{
    // Room for the fixed header, topic and properties around a payload of the largest size we take.
    private const int PacketOverhead = 1024;

    private readonly MqttOptions _options;
    private readonly DeviceIdentity _device;
    private readonly StatusMessages _status;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<MqttConnection> _logger;
    private readonly IBrokerClient _client;
    private readonly ConnectionStateMachine _state;
    private readonly Inbox _inbox;

    public MqttConnection(IBrokerClient client, IOptions<MqttOptions> options, IOptions<AvailabilityOptions> availability, DeviceIdentity device, TimeProvider timeProvider, ILogger<MqttConnection> logger)
    {
        _options = options.Value;
        _device = device;
        _status = new StatusMessages(device.StatusTopic, availability.Value);
        _timeProvider = timeProvider;
        _logger = logger;
        _client = client;
        _state = new ConnectionStateMachine(timeProvider);
        Publisher = new Publisher(client, Broker, _options.IsVersion5, timeProvider);
        Subscriptions = new Subscriptions(client, Broker, _options.OperationTimeout, timeProvider, logger);
        _inbox = new Inbox(logger);

        // Built once here so that a bad CA file stops the service at start, not at the first connect.
        _ = BuildClientOptions();
        _client.Disconnected = OnDisconnectedAsync;
        _client.MessageReceived = _inbox.OnMessageReceivedAsync;
    }

    public string ClientId => _device.ClientId;

    public string Broker => $"{_options.Host}:{_options.Port}";

    /// <summary>Gets what publishes readings over this connection.</summary>
    public Publisher Publisher { get; }

    /// <summary>Gets where the connection stands.</summary>
    public ConnectionState State => _state.State;

    /// <summary>Raised, on the supervisor's thread, each time a connect has succeeded (subscribed, online published); it must not wait.</summary>
    public event Action? Connected;

    /// <summary>Raised after <see cref="State"/> moved, on the thread that moved it.</summary>
    public event Action? StateChanged
    {
        add => _state.Changed += value;
        remove => _state.Changed -= value;
    }

    /// <summary>Gets the topic filters we listen on, subscribed on every connect.</summary>
    internal Subscriptions Subscriptions { get; }

    /// <summary>Listens on <paramref name="topicFilter"/> from the next connect on; what arrives on it, in a queue of its own, payloads above <paramref name="maxPayloadBytes"/> refused.</summary>
    public ChannelReader<ReceivedMessage> Subscribe(string topicFilter, int maxPayloadBytes)
    {
        Subscriptions.Add(topicFilter, maxPayloadBytes);
        return _inbox.Add(topicFilter, maxPayloadBytes);
    }

    /// <inheritdoc cref="ConnectionStateMachine.TakeLastDrop"/>
    public ConnectionDrop? TakeLastDrop() => _state.TakeLastDrop();

    /// <inheritdoc cref="ConnectionStateMachine.WaitUntilConnectedAsync"/>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken) => _state.WaitUntilConnectedAsync(cancellationToken);

    /// <inheritdoc cref="ConnectionStateMachine.WaitForTroubleAsync"/>
    public Task WaitForTroubleAsync(TimeSpan atMost, CancellationToken cancellationToken) => _state.WaitForTroubleAsync(atMost, cancellationToken);

    /// <summary>A publish went unanswered: the supervisor pings now (MQTTnet does not always say when a link died under a publish).</summary>
    public void ReportUnhealthy() => _state.MoveTo(ConnectionState.Unhealthy);

    /// <summary>Connects once; throws when the broker refuses or does not answer in time.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_client.IsConnected)
        {
            // A connection that no longer answers pings: drop it before starting a new one.
            await _client.AbandonAsync().ConfigureAwait(false);
        }

        _state.MoveTo(ConnectionState.Connecting);
        var answer = await ConnectAttempt.RunAsync(_client, BuildClientOptions(), Broker, _options.OperationTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        Publisher.MaxPacketBytes = answer.MaximumPacketSize;
        await Subscriptions.SubscribeAllAsync(cancellationToken).ConfigureAwait(false);
        await _status.SendOnlineAsync(_client, Broker, _options.OperationTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        Log.Connected(_logger, Broker, ClientId, answer.SessionPresent);
        _state.MoveTo(ConnectionState.Connected);
        Connected?.Invoke();
    }

    /// <summary>
    /// Pings the broker unless it took a publish sent within <c>Mqtt:HealthCheckInterval</c>; <see langword="false"/>
    /// when not connected or no answer came in time (the link counts as dropped).
    /// </summary>
    public async Task<bool> IsAliveAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            return false;
        }

        // A PUBACK for a publish sent that recently says what a PINGRESP would, and the publish kept the broker's
        // keep-alive as a ping does: while readings flow, the shared broker sees no pings. After a publish that went
        // unanswered (Unhealthy), a ping always.
        if (State == ConnectionState.Connected && Publisher.LastTaken is { } sent && _timeProvider.GetElapsedTime(sent) < _options.HealthCheckInterval)
        {
            return true;
        }

        using var deadline = new Deadline(_options.OperationTimeout, _timeProvider, cancellationToken);
        if (!await _client.PingAsync(deadline.Token).ConfigureAwait(false))
        {
            // Dead without a word from MQTTnet: how long it had lasted still decides the backoff.
            _state.Dropped(MqttClientDisconnectReason.KeepAliveTimeout);
            return false;
        }

        // The broker answers: whatever made a publish look unhealthy (or a drop reported late) has passed.
        if (State is ConnectionState.Unhealthy or ConnectionState.Connecting)
        {
            _state.MoveTo(ConnectionState.Connected);
        }

        return true;
    }

    /// <summary>Says goodbye: a retained offline status (a clean disconnect suppresses the will), then DISCONNECT.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            return;
        }

        _state.MoveTo(ConnectionState.Stopping);
        using var deadline = new Deadline(_options.OperationTimeout, _timeProvider, cancellationToken);
        try
        {
            if (_status.Offline is { } offline)
            {
                await _client.PublishAsync(offline, deadline.Token).ConfigureAwait(false);
            }

            await _client.DisconnectAsync(deadline.Token).ConfigureAwait(false);
            Log.Left(_logger, Broker);
        }
        catch (Exception ex) when (ex is OperationCanceledException or MqttCommunicationException)
        {
            Log.DisconnectIncomplete(_logger, Broker, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
        _client.Dispose();
    }

    private MqttClientOptions BuildClientOptions()
    {
        int maxIncoming = Subscriptions.MaxPayloadBytes;
        uint? maxPacket = maxIncoming == int.MaxValue ? null : (uint)Math.Min((long)maxIncoming + PacketOverhead, uint.MaxValue);
        return MqttClientOptionsFactory.Create(_options, _device.ClientId, _status.Will, maxPacket);
    }

    // MQTTnet raises this on the thread pool after the link is gone, for failed connect attempts too (the supervisor
    // reports those) and for our own goodbye (DisconnectAsync says it). Reconnecting from inside it risks a deadlock,
    // and MQTTnet v5 has no managed client: the supervisor reconnects.
    private Task OnDisconnectedAsync(BrokerDisconnected e)
    {
        // Late, after the supervisor has connected again: it belongs to the old link and must not undo the new one.
        if (_client.IsConnected)
        {
            return Task.CompletedTask;
        }

        var before = State;
        if (_state.Dropped(e.Reason) && e.ClientWasConnected && before is ConnectionState.Connected or ConnectionState.Unhealthy)
        {
            Log.Disconnected(_logger, Broker, e.Reason, e.ReasonString ?? e.Exception?.Message ?? string.Empty);
        }

        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Broker} as {ClientId} (session kept by the broker: {SessionPresent})")]
        public static partial void Connected(ILogger logger, string broker, string clientId, bool sessionPresent);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Disconnected from {Broker}: {Reason} {Detail}")]
        public static partial void Disconnected(ILogger logger, string broker, MqttClientDisconnectReason reason, string detail);

        [LoggerMessage(Level = LogLevel.Information, Message = "Disconnected from {Broker}: we are stopping")]
        public static partial void Left(ILogger logger, string broker);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not say goodbye to {Broker}: {Detail}")]
        public static partial void DisconnectIncomplete(ILogger logger, string broker, string detail);
    }
}
