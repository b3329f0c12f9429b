namespace LabTelemetry.Tests.Support;

/// <summary>The test clock's own premise: each way the code waits on time arms a timer it sees, and disarms it when done.</summary>
public sealed class WatchedTimeProviderTests
{
    private readonly WatchedTimeProvider _time = new();

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public async Task ADelay_IsArmedUntilItsMoment_AndGoneOnceFired()
    {
        // A delay on the fake clock, the subject here: it waits for no real time.
        var delay = Task.Delay(At(3), _time);

        Assert.Equal([At(3)], _time.Armed());
        _time.AdvanceTo(At(3) - WatchedTimeProvider.JustBefore);
        Assert.False(delay.IsCompleted);
        _time.AdvanceTo(At(3));
        await delay.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Empty(_time.Armed());
    }

    [Fact]
    public async Task AWaitWithATimeout_IsDisarmed_WhenWhatItWaitsForComesFirst()
    {
        var signal = new TaskCompletionSource();
        var waiting = signal.Task.WaitAsync(At(5), _time);
        Assert.Equal([At(5)], _time.Armed());

        signal.SetResult();
        await waiting;

        Assert.Empty(_time.Armed());
    }

    [Fact]
    public void APeriodicTimer_IsDueAgainEachPeriod_UntilDisposed()
    {
        var timer = new PeriodicTimer(At(2), _time);
        Assert.Equal([At(2)], _time.Armed());

        _time.AdvanceTo(At(2));
        Assert.Equal([At(4)], _time.Armed());

        timer.Dispose();
        Assert.Empty(_time.Armed());
    }

    [Fact]
    public void ATimedCancellation_IsArmed_UntilItFiresOrIsDisposed()
    {
        using (var fires = new CancellationTokenSource(At(1), _time))
        using (new CancellationTokenSource(At(7), _time))
        {
            Assert.Equal([At(1), At(7)], _time.Armed());
            _time.AdvanceTo(At(1));
            Assert.True(fires.IsCancellationRequested);
            Assert.Equal([At(7)], _time.Armed());
        }

        Assert.Empty(_time.Armed());
    }

    [Fact]
    public async Task Parked_WhenOtherTimersAreArmed_FailsNamingThem()
    {
        _time.Limit = TimeSpan.FromMilliseconds(200);
        _time.Describe = () => "what the fakes saw";
        using var armed = new CancellationTokenSource(At(4), _time);

        var ex = await Assert.ThrowsAsync<Xunit.Sdk.XunitException>(() => _time.ParkedAsync(At(5)));

        Assert.Equal("at [0 s]: expected timers due at [5 s], armed: [4 s]; what the fakes saw", ex.Message);
    }

    [Fact]
    public async Task ParkedAgain_WaitsForATimerArmedAfterTheMark_NotTheOneBeforeIt()
    {
        _time.Limit = TimeSpan.FromMilliseconds(200);
        var before = new CancellationTokenSource(At(5), _time);
        long mark = _time.Mark();

        await Assert.ThrowsAsync<Xunit.Sdk.XunitException>(() => _time.ParkedAgainAsync(mark, At(5)));
        before.Dispose();
        using var after = new CancellationTokenSource(At(5), _time);
        await _time.ParkedAgainAsync(mark, At(5));
        Assert.True(_time.Mark() > mark);
    }
}
