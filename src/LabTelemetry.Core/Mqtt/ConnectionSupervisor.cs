using LabTelemetry.Core.Health;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// Owns the connection's life: connects at start, checks the link with a ping every
/// <c>Mqtt:HealthCheckInterval</c> or as soon as it drops, and reconnects through the
/// <see cref="ReconnectPipeline"/> for as long as it takes. A connection the broker drops within seconds (another
/// client took our id, or the broker rejects what we send) does not restart the backoff: short-lived connections
/// back off as failed connects do. Says goodbye to the broker on stop.
/// </summary>
internal sealed partial class ConnectionSupervisor(
    MqttConnection connection,
    ResiliencePipelineProvider<string> pipelines,
    IOptions<MqttOptions> options,
    Liveness liveness,
    TimeProvider timeProvider,
    ILogger<ConnectionSupervisor> logger) : BackgroundService
{
    /// <summary>A connection that lasted less than this was not a success: the backoff goes on growing.</summary>
    public static readonly TimeSpan StableConnection = TimeSpan.FromSeconds(10);

    // MQTT 3.1.1 brokers drop a taken-over client without a reason: this many short connections in a row say it.
    private const int ShortLivedBeforeWarning = 3;

    private readonly ResiliencePipeline _reconnect = pipelines.GetPipeline(ReconnectPipeline.Name);
    private int _shortLived;
    private bool _warned;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Connecting(logger, connection.Broker, connection.ClientId);

        // A reconnect attempt beats too (see ReconnectPipeline), so only a loop that is stuck goes quiet this long.
        var o = options.Value;
        liveness.Expect(nameof(ConnectionSupervisor), o.HealthCheckInterval + o.MaxReconnectDelay + (o.OperationTimeout * 3) + TimeSpan.FromSeconds(10));
        while (!stoppingToken.IsCancellationRequested)
        {
            liveness.Beat(nameof(ConnectionSupervisor));
            await EnsureConnectedAsync(stoppingToken).ConfigureAwait(false);
            await connection.WaitForTroubleAsync(options.Value.HealthCheckInterval, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Returns once the broker answers, reconnecting first when it does not.</summary>
    internal async Task EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (await connection.IsAliveAsync(cancellationToken).ConfigureAwait(false))
        {
            if (connection.HasMissingSubscriptions)
            {
                await connection.RetryMissingSubscriptionsAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await BackOffAfterShortConnectionAsync(cancellationToken).ConfigureAwait(false);
        await _reconnect.ExecuteAsync(
            static async (state, ct) => await state.ConnectAsync(ct).ConfigureAwait(false),
            connection,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The delay before reconnecting after the <paramref name="shortLived"/>-th short connection in a row, before jitter.</summary>
    internal static TimeSpan ShortLivedDelay(int shortLived, TimeSpan max) =>
        TimeSpan.FromTicks(Math.Min(max.Ticks, ReconnectPipeline.FirstDelay.Ticks << Math.Min(shortLived - 1, 20)));

    private async Task BackOffAfterShortConnectionAsync(CancellationToken cancellationToken)
    {
        if (connection.TakeLastDrop() is not { } drop)
        {
            return;
        }

        if (drop.Lasted >= StableConnection)
        {
            _shortLived = 0;
            _warned = false;
            return;
        }

        _shortLived++;
        if (!_warned && (drop.Reason == MQTTnet.MqttClientDisconnectReason.SessionTakenOver || _shortLived >= ShortLivedBeforeWarning))
        {
            _warned = true;
            if (drop.Reason == MQTTnet.MqttClientDisconnectReason.SessionTakenOver)
            {
                Log.TakenOver(logger, connection.Broker, connection.ClientId);
            }
            else
            {
                Log.DroppedSoonAfterConnecting(logger, connection.Broker, _shortLived, connection.ClientId);
            }
        }

        // Jitter, so that two devices sharing an id do not keep meeting at the same moment.
        var delay = ShortLivedDelay(_shortLived, options.Value.MaxReconnectDelay) * (0.8 + (Random.Shared.NextDouble() * 0.4));
        liveness.Beat(nameof(ConnectionSupervisor));
        await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await connection.DisconnectAsync(cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Connecting to {Broker} as {ClientId}")]
        public static partial void Connecting(ILogger logger, string broker, string clientId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Broker} dropped us because another client connected with our client id {ClientId}: two devices (a copied configuration) or a second copy of this service share it. Give each its own Mqtt:ClientId or Device:Id, or stop the other; reconnecting with backoff meanwhile")]
        public static partial void TakenOver(ILogger logger, string broker, string clientId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Broker} dropped us within seconds of connecting, {Times} times in a row. Does another client use our client id {ClientId} (a copied configuration, a second copy of this service)? Give each its own Mqtt:ClientId or Device:Id; reconnecting with backoff meanwhile")]
        public static partial void DroppedSoonAfterConnecting(ILogger logger, string broker, int times, string clientId);
    }
}
