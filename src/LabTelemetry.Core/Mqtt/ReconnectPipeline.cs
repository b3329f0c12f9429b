using LabTelemetry.Core.Health;
using Polly;
using Polly.Registry;
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

    /// <summary>
    /// Registers the pipeline the <see cref="ConnectionSupervisor"/> reconnects through, on the injected
    /// <see cref="TimeProvider"/>. Polly's own registry, without Polly.Extensions: that one adds options and
    /// telemetry the container resolves through open generics, and its telemetry would log each attempt a second
    /// time, with a stack trace; the one line below says it all.
    /// </summary>
    internal static IServiceCollection AddReconnectPipeline(this IServiceCollection services) =>
        services.AddSingleton<ResiliencePipelineProvider<string>>(sp =>
        {
            var registry = new ResiliencePipelineRegistry<string>();
            registry.TryAddBuilder(Name, (builder, _) =>
            {
                var connection = sp.Get<MqttConnection>();
                var logger = sp.Logger<ConnectionSupervisor>();
                var liveness = sp.Get<Liveness>();
                builder.TimeProvider = sp.Get<TimeProvider>();
                builder.AddReconnectRetry(
                    sp.Options<MqttOptions>().Value.MaxReconnectDelay,
                    args =>
                    {
                        string problem = args.Outcome.Exception is { } ex ? ConnectProblem.Describe(ex) : "unknown";
                        Log.ConnectFailed(logger, connection.Broker, args.AttemptNumber + 1, problem, args.RetryDelay.TotalSeconds);
                        liveness.Beat(nameof(ConnectionSupervisor));
                        return default;
                    });
            });
            return registry;
        });

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Connecting to {Broker} failed (attempt {Attempt}): {Problem}; next attempt in {DelaySeconds:0.#} s")]
        public static partial void ConnectFailed(ILogger logger, string broker, int attempt, string problem, double delaySeconds);
    }
}
