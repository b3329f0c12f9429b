using LabTelemetry.Core.Mqtt;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace LabTelemetry.Tests.Core.Mqtt;

public class ReconnectPipelineTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new();
    private readonly List<TimeSpan> _delays = [];

    private ResiliencePipeline Pipeline() =>
        new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddReconnectRetry(Cap, args =>
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
    public async Task Backoff_GrowsExponentially_AndIsCappedAt30Seconds()
    {
        int attempts = await ConnectFailingAsync(Pipeline(), failures: 12);

        Assert.Equal(13, attempts);
        Assert.Equal(12, _delays.Count);
        Assert.All(_delays, d => Assert.InRange(d, TimeSpan.Zero, Cap));
        Assert.True(_delays[0] < TimeSpan.FromSeconds(5), $"first delay {_delays[0]}");
        Assert.True(_delays.Skip(8).Average(d => d.TotalSeconds) > 10, string.Join(", ", _delays));
    }

    [Fact]
    public async Task Backoff_StartsAgainAfterASuccess()
    {
        var pipeline = Pipeline();
        await ConnectFailingAsync(pipeline, failures: 10);
        _delays.Clear();

        await ConnectFailingAsync(pipeline, failures: 1);

        Assert.True(_delays.Single() < TimeSpan.FromSeconds(5), $"delay after a success {_delays.Single()}");
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
