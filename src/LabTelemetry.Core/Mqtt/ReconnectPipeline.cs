using Polly;
using Polly.Retry;

namespace LabTelemetry.Core.Mqtt;

/// <summary>The reconnect policy, declared once: retry forever, exponential backoff with jitter, capped.</summary>
public static class ReconnectPipeline
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
}
