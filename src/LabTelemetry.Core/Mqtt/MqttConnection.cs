using System.Threading.Channels;
using LabTelemetry.Core.Device;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// The one MQTT connection and the one owner of its <see cref="State"/>: connects, publishes and subscribes,
/// each under its own timeout. It never reconnects by itself: MQTTnet v5 has no managed client, and
/// reconnecting from inside its <c>DisconnectedAsync</c> handler risks a deadlock, so the
/// <see cref="ConnectionSupervisor"/> calls <see cref="ConnectAsync"/>. Publishing and subscriptions are in the
/// partial files beside this one.
/// </summary>
public sealed partial class MqttConnection : IAsyncDisposable
{
    private const int ReceivedCapacity = 1024;

    // Room for the fixed header, topic and properties around a payload of the configured size.
    private const int PacketOverhead = 1024;

    private readonly MqttOptions _options;
    private readonly AvailabilityOptions _availability;
    private readonly DeviceIdentity _device;
    private readonly string? _statusTopic;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<MqttConnection> _logger;
    private readonly IBrokerClient _client;
    private readonly List<string> _subscriptions = [];
    private readonly Dictionary<string, string> _notSubscribed = new(StringComparer.Ordinal);
    private readonly Channel<ReceivedMessage> _received = Channel.CreateBounded<ReceivedMessage>(
        new BoundedChannelOptions(ReceivedCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly object _stateLock = new();
    private ConnectionState _state = ConnectionState.Connecting;
    private TaskCompletionSource _troubled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _connectedAt;
    private long _maxOutgoingBytes;
    private ConnectionDrop? _lastDrop;
    private int _maxIncomingBytes = int.MaxValue;
    private long _droppedMessages;
    private long _oversizedMessages;

    public MqttConnection(IBrokerClient client, IOptions<MqttOptions> options, IOptions<AvailabilityOptions> availability, DeviceIdentity device, TimeProvider timeProvider, ILogger<MqttConnection> logger)
    {
        _options = options.Value;
        _availability = availability.Value;
        _device = device;
        _statusTopic = device.StatusTopic;
        _timeProvider = timeProvider;
        _logger = logger;

        // Built once here so that a bad CA file stops the service at start, not at the first connect.
        _ = BuildClientOptions();
        _client = client;
        _client.Disconnected = OnDisconnectedAsync;
        _client.MessageReceived = OnMessageReceivedAsync;
    }

    public string ClientId => _device.ClientId;

    public string Broker => $"{_options.Host}:{_options.Port}";

    public bool IsConnected => _client.IsConnected;

    /// <summary>Gets where the connection stands; only this class moves it.</summary>
    public ConnectionState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>Connects once; throws when the broker refuses or does not answer in time.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_client.IsConnected)
        {
            // A connection that no longer answers pings: drop it before starting a new one.
            await _client.AbandonAsync().ConfigureAwait(false);
        }

        MoveTo(ConnectionState.Connecting);
        var clientOptions = BuildClientOptions();
        var result = await ConnectProblem.ConnectAsync(_client, clientOptions, Broker, _options.OperationTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _maxOutgoingBytes, result.MaximumPacketSize);

        // On every connect, even when the broker kept our session: a SUBSCRIBE that failed or was refused last
        // time, or a changed Results:Topic, would otherwise never be subscribed again.
        await SubscribeAsync(AllFilters(), cancellationToken).ConfigureAwait(false);

        if (_statusTopic is not null)
        {
            await WithTimeout("status publish", ct => _client.PublishAsync(Status(_availability.Online), ct), cancellationToken).ConfigureAwait(false);
        }

        Log.Connected(_logger, Broker, ClientId, result.SessionPresent);
        MoveTo(ConnectionState.Connected);
    }

    /// <summary>Returns how the last connection ended (once; <see langword="null"/> when none ended since).</summary>
    public ConnectionDrop? TakeLastDrop()
    {
        lock (_stateLock)
        {
            var drop = _lastDrop;
            _lastDrop = null;
            return drop;
        }
    }

    /// <summary>Completes once the connection is up (at once when it already is).</summary>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            return _connected.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Pings the broker; <see langword="false"/> when not connected or no answer came in time.</summary>
    public async Task<bool> IsAliveAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            return false;
        }

        using var deadline = new Deadline(_options.OperationTimeout, _timeProvider, cancellationToken);
        if (!await _client.PingAsync(deadline.Token).ConfigureAwait(false))
        {
            return false;
        }

        // The broker answers: whatever made a publish look unhealthy (or a drop reported late) has passed, and the
        // supervisor may rest again.
        if (State is ConnectionState.Unhealthy or ConnectionState.Connecting)
        {
            MoveTo(ConnectionState.Connected);
        }

        return true;
    }

    /// <summary>Completes when the connection drops or looks unhealthy, or after <paramref name="atMost"/>, whichever comes first.</summary>
    public async Task WaitForTroubleAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        Task troubled;
        lock (_stateLock)
        {
            troubled = _troubled.Task;
        }

        try
        {
            await troubled.WaitAsync(atMost, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Time for the next health check.
        }
    }

    /// <summary>
    /// A publish went unanswered: wake the supervisor to ping now. MQTTnet does not always raise
    /// <c>DisconnectedAsync</c> after failed publishes, so health is judged by outcomes too.
    /// </summary>
    public void ReportUnhealthy() => MoveTo(ConnectionState.Unhealthy);

    /// <summary>Says goodbye: a retained offline status (a clean disconnect suppresses the will), then DISCONNECT.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            return;
        }

        MoveTo(ConnectionState.Stopping);
        using var deadline = new Deadline(_options.OperationTimeout, _timeProvider, cancellationToken);
        try
        {
            if (_statusTopic is not null)
            {
                await _client.PublishAsync(Status(_availability.Offline), deadline.Token).ConfigureAwait(false);
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

    private static TaskCompletionSource NewIfDone(TaskCompletionSource source) =>
        source.Task.IsCompleted ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : source;

    /// <summary>
    /// The one place the state moves. Connected opens the way for publishers; Unhealthy and a drop wake the
    /// supervisor; Stopping is final, so the goodbye's own disconnect is not reported as a drop.
    /// </summary>
    private void MoveTo(ConnectionState next)
    {
        lock (_stateLock)
        {
            if (_state == ConnectionState.Stopping || (next == ConnectionState.Unhealthy && _state != ConnectionState.Connected))
            {
                return;
            }

            var before = _state;
            _state = next;
            switch (next)
            {
                case ConnectionState.Connected:
                    _connectedAt = before == ConnectionState.Connecting ? _timeProvider.GetTimestamp() : _connectedAt;
                    _troubled = NewIfDone(_troubled);
                    _connected.TrySetResult();
                    break;
                case ConnectionState.Connecting:
                    _connected = NewIfDone(_connected);
                    break;
                case ConnectionState.Unhealthy:
                    _troubled.TrySetResult();
                    break;
            }
        }
    }

    private MqttClientOptions BuildClientOptions()
    {
        int maxIncoming;
        lock (_subscriptions)
        {
            maxIncoming = _maxIncomingBytes;
        }

        uint? maxPacket = maxIncoming == int.MaxValue ? null : (uint)Math.Min((long)maxIncoming + PacketOverhead, uint.MaxValue);
        (string, string)? will = _statusTopic is null ? null : (_statusTopic, _availability.Offline);
        return MqttClientOptionsFactory.Create(_options, _device, will, maxPacket);
    }

    private MqttApplicationMessage Status(string payload) => new MqttApplicationMessageBuilder()
        .WithTopic(_statusTopic)
        .WithPayload(payload)
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .WithRetainFlag(true)
        .Build();

    private async Task<T> WithTimeout<T>(string what, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var deadline = new Deadline(_options.OperationTimeout, _timeProvider, cancellationToken);
        try
        {
            return await operation(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Broker} did not answer the {what} within {_options.OperationTimeout.TotalSeconds:0.##} s (Mqtt:OperationTimeout).", ex);
        }
    }

    private Task OnDisconnectedAsync(BrokerDisconnected e)
    {
        // MQTTnet raises this on the thread pool after the link is gone: when it comes late, after the supervisor has
        // already connected again, it belongs to the old link and must not undo the new one.
        if (_client.IsConnected)
        {
            return Task.CompletedTask;
        }

        // Raised for failed connect attempts too (the supervisor reports those), and for our own goodbye (DisconnectAsync does).
        if (e.ClientWasConnected && State != ConnectionState.Stopping)
        {
            Log.Disconnected(_logger, Broker, e.Reason, e.ReasonString ?? e.Exception?.Message ?? string.Empty);
        }

        lock (_stateLock)
        {
            if (_state is ConnectionState.Connected or ConnectionState.Unhealthy)
            {
                _lastDrop = new ConnectionDrop(e.Reason, _timeProvider.GetElapsedTime(_connectedAt));
            }

            if (_state != ConnectionState.Stopping)
            {
                _state = ConnectionState.Connecting;
                _connected = NewIfDone(_connected);
                _troubled.TrySetResult();
            }
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

        [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to {TopicFilter} ({Granted})")]
        public static partial void Subscribed(ILogger logger, string topicFilter, MqttClientSubscribeResultCode granted);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Not subscribed to {TopicFilter}: {Problem}; RESULT messages do not reach us until it works, tried again at every health check")]
        public static partial void NotSubscribed(ILogger logger, string topicFilter, string problem);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Received messages arrive faster than they are logged; {Dropped} dropped so far")]
        public static partial void ReceivedDropped(ILogger logger, long dropped);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a {Bytes}-byte message on {Topic}: larger than {MaxBytes} bytes (Results:MaxPayloadBytes); {Refused} refused so far")]
        public static partial void ReceivedOversized(ILogger logger, string topic, long bytes, int maxBytes, long refused);

        [LoggerMessage(Level = LogLevel.Warning, Message = "A message on {Topic} could not be taken: {Detail}")]
        public static partial void ReceiveFailed(ILogger logger, string topic, string detail);
    }
}
