using LabTelemetry.Core.Resilience;

namespace LabTelemetry.Tests.Core.Resilience;

public class BackoffTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    private static double[] Seconds(Backoff backoff, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => backoff.NextDelay().TotalSeconds)];

    [Fact]
    public void WithJitterAtTheMiddle_DoublesFromTheFirstDelayUpToTheCap()
    {
        var backoff = new Backoff(Second, Cap, random: () => 0.5);

        // Doubling, not adding (1, 2, 3 …) nor staying put, and capped, not growing on (32, 64 …).
        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], Seconds(backoff, 8));
        Assert.Equal(8, backoff.Failures);
    }

    [Theory]
    [InlineData(0.0, 0.8)]
    [InlineData(0.25, 0.9)]
    [InlineData(0.75, 1.1)]
    public void Jitter_SpreadsEachStepByUpToAFifth(double drawn, double factor)
    {
        var backoff = new Backoff(Second, Cap, random: () => drawn);

        double[] delays = Seconds(backoff, 4);

        Assert.Equal([1 * factor, 2 * factor, 4 * factor, 8 * factor], delays, new ToleranceOf(1e-9));
    }

    [Fact]
    public void Jitter_NeverTakesADelayAboveTheCap()
    {
        var backoff = new Backoff(Second, Cap, random: () => 0.999);

        double[] delays = Seconds(backoff, 7);

        Assert.Equal(16 * 1.1996, delays[4], 1e-9);
        Assert.Equal([30.0, 30.0], delays[5..]);
    }

    [Fact]
    public void ASuccessThatDidNotHold_KeepsTheCountGrowing_OneThatHeld_StartsItAgain()
    {
        var backoff = new Backoff(Second, Cap, stableAfter: TimeSpan.FromSeconds(10), random: () => 0.5);
        Seconds(backoff, 3);

        Assert.False(backoff.Succeeded(TimeSpan.FromSeconds(9.9)));
        Assert.Equal(8, backoff.NextDelay().TotalSeconds);

        Assert.True(backoff.Succeeded(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, backoff.Failures);
        Assert.Equal(1, backoff.NextDelay().TotalSeconds);
    }

    [Fact]
    public void Reset_StartsAgainFromTheFirstDelay()
    {
        var backoff = new Backoff(Second, Cap, random: () => 0.5);
        Seconds(backoff, 5);

        backoff.Reset();

        Assert.Equal([1, 2], Seconds(backoff, 2));
    }

    [Fact]
    public void Step_AfterManyFailures_StaysAtTheCapWithoutOverflowing()
    {
        var backoff = new Backoff(Second, Cap);

        Assert.Equal(Cap, backoff.Step(64));
        Assert.Equal(Cap, backoff.Step(int.MaxValue));
        Assert.Equal(TimeSpan.Zero, backoff.Step(0));
    }

    private sealed class ToleranceOf(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
