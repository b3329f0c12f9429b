using LabTelemetry.Core.Device;
using LabTelemetry.Core.Health;
using LabTelemetry.Core.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// Owns the connection's life: connects, checks the link every <c>Mqtt:HealthCheckInterval</c>, reconnects at the pace of
/// one <see cref="Backoff"/> (sooner when the link returns, <see cref="LinkReturn"/>), and says goodbye on stop.
/// </summary>
internal sealed partial class ConnectionSupervisor : BackgroundService
{
    /// <summary>A connection that lasted less than this was not a success: the backoff goes on growing.</summary>
    public static readonly TimeSpan StableConnection = TimeSpan.FromSeconds(10);

    // MQTT 3.1.1 brokers drop a taken-over client without a reason: this many short connections in a row say it.
    private const int ShortLivedBeforeWarning = 3;

    private readonly MqttConnection _connection;
    private readonly Backoff _backoff;
    private readonly MqttOptions _options;
    private readonly Liveness _liveness;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ConnectionSupervisor> _logger;
    private readonly ResiliencePipeline _reconnect;
    private readonly LinkReturn _linkReturn;
    private int _shortLived;
    private bool _warned;

    /// <param name="backoff">The reconnect pace; <see cref="Backoff.Succeeded"/> is told how long each connection held.</param>
    /// <param name="link">The network link, whose return brings the next attempt forward.</param>
    public ConnectionSupervisor(MqttConnection connection, Backoff backoff, NetworkLink link, IOptions<MqttOptions> options, Liveness liveness, TimeProvider timeProvider, ILogger<ConnectionSupervisor> logger)
    {
        _connection = connection;
        _linkReturn = new LinkReturn(link, connection.Broker, timeProvider, logger);
        _backoff = backoff;
        _options = options.Value;
        _liveness = liveness;
        _timeProvider = timeProvider;
        _logger = logger;
        _reconnect = new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddReconnectRetry(backoff, OnRetryAsync).Build();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Connecting(_logger, _connection.Broker, _connection.ClientId);

        // A reconnect attempt beats too (OnRetryAsync), so only a loop that is stuck goes quiet this long.
        _liveness.Expect(nameof(ConnectionSupervisor), _options.HealthCheckInterval + _options.MaxReconnectDelay + (_options.OperationTimeout * 3) + TimeSpan.FromSeconds(10));
        while (!stoppingToken.IsCancellationRequested)
        {
            _liveness.Beat(nameof(ConnectionSupervisor));
            await EnsureConnectedAsync(stoppingToken).ConfigureAwait(false);
            await _connection.WaitForTroubleAsync(_options.HealthCheckInterval, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Returns once the broker answers, reconnecting first when it does not.</summary>
    internal async Task EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (await _connection.IsAliveAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_connection.Subscriptions.HasMissing)
            {
                await _connection.Subscriptions.RetryMissingAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        while (true)
        {
            // The wait and the attempt, cut short when the link comes back, and then begun again at once.
            using var reconnecting = _linkReturn.Watch(cancellationToken);
            try
            {
                await WaitAfterShortConnectionAsync(reconnecting.Token).ConfigureAwait(false);
                await _reconnect.ExecuteAsync(static (self, ct) => self.AttemptAsync(ct), this, reconnecting.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The link is back: try now.
            }
            finally
            {
                _linkReturn.Unwatch(reconnecting);
            }
        }
    }

    private async ValueTask AttemptAsync(CancellationToken cancellationToken) => await _connection.ConnectAsync(cancellationToken).ConfigureAwait(false);

    // A connection that held starts the backoff again; one the broker dropped at once counts as a failure, and the
    // reconnect waits for it as for a failed connect.
    private async Task WaitAfterShortConnectionAsync(CancellationToken cancellationToken)
    {
        if (_connection.TakeLastDrop() is not { } drop)
        {
            return;
        }

        if (_backoff.Succeeded(drop.Lasted))
        {
            _shortLived = 0;
            _warned = false;
            return;
        }

        _shortLived++;
        bool takenOver = drop.Reason == MQTTnet.MqttClientDisconnectReason.SessionTakenOver;
        if (!_warned && (takenOver || _shortLived >= ShortLivedBeforeWarning))
        {
            _warned = true;
            if (takenOver)
            {
                Log.TakenOver(_logger, _connection.Broker, _connection.ClientId);
            }
            else
            {
                Log.DroppedSoonAfterConnecting(_logger, _connection.Broker, _shortLived, _connection.ClientId);
            }
        }

        _liveness.Beat(nameof(ConnectionSupervisor));
        await Task.Delay(_backoff.NextDelay(), _timeProvider, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask OnRetryAsync(OnRetryArguments<object> args)
    {
        string problem = args.Outcome.Exception is { } ex ? ConnectFailure.Describe(ex) : "unknown";
        Log.ConnectFailed(_logger, _connection.Broker, _backoff.Failures, problem, args.RetryDelay.TotalSeconds);
        _liveness.Beat(nameof(ConnectionSupervisor));
        return default;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await _connection.DisconnectAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _linkReturn.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Connecting to {Broker} as {ClientId}")]
        public static partial void Connecting(ILogger logger, string broker, string clientId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Connecting to {Broker} failed (attempt {Attempt}): {Problem}; next attempt in {DelaySeconds:0.#} s")]
        public static partial void ConnectFailed(ILogger logger, string broker, int attempt, string problem, double delaySeconds);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Broker} dropped us because another client connected with our client id {ClientId}: two devices (a copied configuration) or a second copy of this service share it. Give each its own Mqtt:ClientId or Device:Id, or stop the other; reconnecting with backoff meanwhile")]
        public static partial void TakenOver(ILogger logger, string broker, string clientId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Broker} dropped us within seconds of connecting, {Times} times in a row. Does another client use our client id {ClientId} (a copied configuration, a second copy of this service)? Give each its own Mqtt:ClientId or Device:Id; reconnecting with backoff meanwhile")]
        public static partial void DroppedSoonAfterConnecting(ILogger logger, string broker, int times, string clientId);
    }
}
