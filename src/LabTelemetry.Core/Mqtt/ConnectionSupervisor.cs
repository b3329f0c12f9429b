using LabTelemetry.Core.Health;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// Owns the connection's life: connects at start, checks the link with a ping every
/// <c>Mqtt:HealthCheckInterval</c> or as soon as it drops, and reconnects through the
/// <see cref="ReconnectPipeline"/> for as long as it takes. Says goodbye to the broker on stop.
/// </summary>
internal sealed partial class ConnectionSupervisor(
    MqttConnection connection,
    ResiliencePipelineProvider<string> pipelines,
    IOptions<MqttOptions> options,
    Liveness liveness,
    ILogger<ConnectionSupervisor> logger) : BackgroundService
{
    private readonly ResiliencePipeline _reconnect = pipelines.GetPipeline(ReconnectPipeline.Name);

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

        await _reconnect.ExecuteAsync(
            static async (state, ct) => await state.ConnectAsync(ct).ConfigureAwait(false),
            connection,
            cancellationToken).ConfigureAwait(false);
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
    }
}
