using LabTelemetry.Core.Resilience;
using Polly;
using Polly.Retry;

namespace LabTelemetry.Core.Mqtt;

/// <summary>The reconnect as Polly runs it: retry forever, each delay from the connection's <see cref="Backoff"/>, each failure one log line.</summary>
public static class ReconnectPipeline
{
    /// <summary>
    /// Adds the reconnect retry. The delays come from <paramref name="backoff"/>, which the supervisor also counts
    /// connections the broker drops at once on, so they go on growing across reconnects until a connection holds.
    /// </summary>
    public static ResiliencePipelineBuilder AddReconnectRetry(
        this ResiliencePipelineBuilder builder,
        Backoff backoff,
        Func<OnRetryArguments<object>, ValueTask>? onRetry = null) =>
        builder.AddRetry(new RetryStrategyOptions
        {
            // Cancellation means we are stopping (or the link came back); everything else is worth another try.
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
            MaxRetryAttempts = int.MaxValue,
            DelayGenerator = _ => new ValueTask<TimeSpan?>(backoff.NextDelay()),
            OnRetry = onRetry,
        });
}
