using LabTelemetry.Core.Health;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace LabTelemetry.Core.Mqtt;

/// <summary>The reconnect policy, declared once: retry forever, exponential backoff with jitter, capped; each failure one log line.</summary>
public static partial class ReconnectPipeline
{
    public const string Name = "mqtt-reconnect";

    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Adds the reconnect retry. Each reconnect is one execution of the pipeline, so the backoff starts
    /// again from <see cref="FirstDelay"/> after every success.
    /// </summary>
    public static ResiliencePipelineBuilder AddReconnectRetry(
        this ResiliencePipelineBuilder builder,
        TimeSpan maxDelay,
        Func<OnRetryArguments<object>, ValueTask>? onRetry = null) =>
        builder.AddRetry(new RetryStrategyOptions
        {
            // Cancellation means we are stopping; everything else (refused, unreachable, timed out) is worth another try.
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = FirstDelay,
            MaxDelay = maxDelay,
            OnRetry = onRetry,
        });

    /// <summary>Registers the pipeline the <see cref="ConnectionSupervisor"/> reconnects through, on the injected <see cref="TimeProvider"/>.</summary>
    internal static IServiceCollection AddReconnectPipeline(this IServiceCollection services)
    {
        services.AddResiliencePipeline(Name, (builder, context) =>
        {
            var connection = context.ServiceProvider.GetRequiredService<MqttConnection>();
            var logger = context.ServiceProvider.GetRequiredService<ILogger<ConnectionSupervisor>>();
            var liveness = context.ServiceProvider.GetRequiredService<Liveness>();
            builder.AddReconnectRetry(
                context.ServiceProvider.GetRequiredService<IOptions<MqttOptions>>().Value.MaxReconnectDelay,
                args =>
                {
                    string problem = args.Outcome.Exception is { } ex ? ConnectProblem.Describe(ex) : "unknown";
                    Log.ConnectFailed(logger, connection.Broker, args.AttemptNumber + 1, problem, args.RetryDelay.TotalSeconds);
                    liveness.Beat(nameof(ConnectionSupervisor));
                    return default;
                });
        });

        // Polly's own telemetry would log every attempt again, with a stack trace; the one line above says it all.
        // Registered after AddResiliencePipeline, whose own Configure sets the logger factory.
        services.Configure<Polly.Telemetry.TelemetryOptions>(telemetry => telemetry.LoggerFactory = NullLoggerFactory.Instance);
        return services;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Connecting to {Broker} failed (attempt {Attempt}): {Problem}; next attempt in {DelaySeconds:0.#} s")]
        public static partial void ConnectFailed(ILogger logger, string broker, int attempt, string problem, double delaySeconds);
    }
}
