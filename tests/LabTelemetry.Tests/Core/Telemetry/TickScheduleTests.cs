using LabTelemetry.Core.Telemetry;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Core.Telemetry;

/// <summary>Ticks at once, then at multiples of the interval; an overrun is one late tick, not a burst; on the real clock, a thread of its own.</summary>
public sealed class TickScheduleTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(0, 0, 1, 100)]      // just after the first tick: the second, a whole interval on
    [InlineData(0, 30, 1, 70)]      // the first took 30 ms
    [InlineData(4, 420, 5, 80)]     // on schedule: the fifth multiple
    [InlineData(0, 100, 1, 0)]      // the first took exactly an interval: the second now
    [InlineData(0, 250, 2, 0)]      // overran two multiples: one tick now, counted as the second…
    [InlineData(2, 260, 3, 40)]     // …then the third at 300 ms, as PeriodicTimer would
    public void Next_KeepsTheMultiples_AndCoalescesWhatWasMissed(long ticked, int elapsedMs, long next, int waitMs)
    {
        var (number, wait) = TickSchedule.Next(ticked, Interval, TimeSpan.FromMilliseconds(elapsedMs));

        Assert.Equal(next, number);
        Assert.Equal(TimeSpan.FromMilliseconds(waitMs), wait);
    }

    [Fact]
    public async Task OnTheRealClock_TicksOnAThreadOfItsOwn_AndIsStoppedOnlyOnceItsLastTickIsOver()
    {
        using var stop = new CancellationTokenSource();
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var threads = new List<Thread>();
        int ticks = 0;
        var running = TickSchedule.RunAsync(TimeSpan.FromMilliseconds(20), TimeProvider.System, () =>
        {
            lock (threads)
            {
                threads.Add(Thread.CurrentThread);
            }

            // The fifth tick is still at work when the stop comes.
            if (Interlocked.Increment(ref ticks) == 5)
            {
                holding.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        }, "test tick", stop.Token);

        Assert.True(holding.Wait(TimeSpan.FromSeconds(10)), "fewer than 5 ticks");
        stop.Cancel();
        Assert.False(running.IsCompleted, "the schedule said it stopped while a tick still ran");
        release.Set();
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        // After the stop no tick follows, however long one waits for the thread to end.
        Thread ticker;
        lock (threads)
        {
            ticker = Assert.Single(threads.Distinct());
        }

        Assert.True(ticker.Join(TimeSpan.FromSeconds(10)), "the schedule's thread still runs");
        Assert.Equal(5, Volatile.Read(ref ticks));
        Assert.Equal("test tick", ticker.Name);
    }

    [Fact]
    public async Task OnTheRealClock_ATickThatThrows_FaultsTheSchedule()
    {
        var running = TickSchedule.RunAsync(TimeSpan.FromMilliseconds(20), TimeProvider.System, () => throw new InvalidOperationException("broken tick"), "test tick", CancellationToken.None);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => running.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("broken tick", ex.Message);
    }

    [Fact]
    public async Task OnFakeTime_TicksAtOnce_ThenEachInterval()
    {
        var time = new FakeTimeProvider();
        using var stop = new CancellationTokenSource();
        int ticks = 0;
        var running = TickSchedule.RunAsync(Interval, time, () => Interlocked.Increment(ref ticks), "test tick", stop.Token);

        Assert.Equal(1, Volatile.Read(ref ticks));
        time.Advance(Interval);
        Assert.True(await Eventually.TrueAsync(() => Volatile.Read(ref ticks) == 2), "no second tick after one interval");
        time.Advance(Interval);
        Assert.True(await Eventually.TrueAsync(() => Volatile.Read(ref ticks) == 3), "no third tick after two intervals");

        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }
}
