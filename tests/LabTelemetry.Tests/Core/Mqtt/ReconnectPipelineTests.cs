using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Resilience;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace LabTelemetry.Tests.Core.Mqtt;

/// <summary>The pipeline's shape: Polly retries forever, each delay the connection's backoff gives, cancellation ends it.</summary>
public class ReconnectPipelineTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly Backoff _backoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), random: () => 0.5);
    private readonly List<TimeSpan> _delays = [];

    private ResiliencePipeline Pipeline() =>
        new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddReconnectRetry(_backoff, args =>
            {
                _delays.Add(args.RetryDelay);
                return default;
            })
            .Build();

    /// <summary>Runs a connect that fails <paramref name="failures"/> times, moving fake time on until it succeeds.</summary>
    private async Task<int> ConnectFailingAsync(ResiliencePipeline pipeline, int failures)
    {
        int attempts = 0;
        var run = pipeline.ExecuteAsync(_ => ++attempts <= failures ? throw new IOException("broker unreachable") : ValueTask.CompletedTask).AsTask();
        while (!run.IsCompleted)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        await run;
        return attempts;
    }

    [Fact]
    public async Task EachRetry_WaitsTheBackoffsNextDelay()
    {
        int attempts = await ConnectFailingAsync(Pipeline(), failures: 8);

        Assert.Equal(9, attempts);
        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], _delays.Select(d => d.TotalSeconds));
    }

    [Fact]
    public async Task ANewExecution_GoesOnFromTheBackoffsCount_UntilASuccessHeld()
    {
        var pipeline = Pipeline();
        await ConnectFailingAsync(pipeline, failures: 3);
        await ConnectFailingAsync(pipeline, failures: 1);
        _backoff.Reset();
        await ConnectFailingAsync(pipeline, failures: 1);

        Assert.Equal([1, 2, 4, 8, 1], _delays.Select(d => d.TotalSeconds));
    }

    [Fact]
    public async Task Retry_NeverGivesUp()
    {
        Assert.Equal(101, await ConnectFailingAsync(Pipeline(), failures: 100));
    }

    [Fact]
    public async Task Retry_StopsWhenCancelled()
    {
        using var stopping = new CancellationTokenSource();
        var run = Pipeline().ExecuteAsync(_ => throw new IOException("down"), stopping.Token).AsTask();
        _time.Advance(TimeSpan.FromSeconds(5));
        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }
}
