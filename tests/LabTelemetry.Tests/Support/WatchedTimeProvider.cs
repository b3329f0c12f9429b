using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Support;

/// <summary>
/// Fake time that knows its armed timers and when each is due. A delay, a <c>WaitAsync</c> with a timeout, a
/// <see cref="PeriodicTimer"/> and a timed <see cref="CancellationTokenSource"/> on it each arm one, so a test can
/// wait until the code under test waits on the clock (<see cref="ParkedAsync(TimeSpan[])"/>): then none of it runs
/// until time moves, and a count taken after moving to just before the next due moment proves nothing came before it.
/// </summary>
internal sealed class WatchedTimeProvider() : FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero))
{
    /// <summary>The clock's resolution: moving to a due moment less this fires nothing that is due then.</summary>
    public static readonly TimeSpan JustBefore = TimeSpan.FromTicks(1);

    private readonly List<WatchedTimer> _armed = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _arms;

    /// <summary>Gets or sets how long (in real time) <see cref="ParkedAsync(TimeSpan[])"/> waits: long enough for a loaded 2-core machine.</summary>
    public TimeSpan Limit { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets what the fakes have seen, in words, for a failure to add: the supervisor pinging flat out shows there.</summary>
    public Func<string>? Describe { get; set; }

    /// <summary>Gets how long fake time has run since the provider was made: the tests' moments are counted from there.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(GetTimestamp() - Start.UtcTicks);

    /// <summary>The moments (since <see cref="FakeTimeProvider.Start"/>) at which the armed timers are due, earliest first.</summary>
    public TimeSpan[] Armed()
    {
        lock (_armed)
        {
            return [.. _armed.Select(t => TimeSpan.FromTicks(t.DueTicks - Start.UtcTicks)).Order()];
        }
    }

    /// <summary>Returns how many times a timer was armed so far: for <see cref="ParkedAgainAsync"/>.</summary>
    public long Mark()
    {
        lock (_armed)
        {
            return _arms;
        }
    }

    /// <summary>
    /// Waits (in real time, at most <see cref="Limit"/>) until exactly the timers due at <paramref name="dueAt"/> are armed, no more
    /// and no fewer: each loop under test waits on its timer, and nothing else of it is left to run.
    /// </summary>
    /// <remarks>
    /// Exact for a timer armed as the code starts to wait (a delay, <c>WaitAsync</c>); a deadline armed
    /// before the operation it bounds needs <see cref="ParkedAsync(Func{bool}, TimeSpan[])"/> to say the operation is
    /// under way.
    /// </remarks>
    /// <exception cref="Xunit.Sdk.XunitException">Other timers are armed: says which, and which were expected.</exception>
    public Task ParkedAsync(params TimeSpan[] dueAt) => WaitUntilParkedAsync(null, null, dueAt);

    /// <summary>As <see cref="ParkedAsync(TimeSpan[])"/>, once <paramref name="when"/> also holds (what the fakes have seen so far).</summary>
    public Task ParkedAsync(Func<bool> when, params TimeSpan[] dueAt) => WaitUntilParkedAsync(null, when, dueAt);

    /// <summary>
    /// As <see cref="ParkedAsync(TimeSpan[])"/>, with every armed timer armed after <paramref name="mark"/>: a loop woken
    /// by a signal, not by time, that waits again for the moment it waited for before is told from one still asleep.
    /// </summary>
    public Task ParkedAgainAsync(long mark, params TimeSpan[] dueAt) => WaitUntilParkedAsync(mark, null, dueAt);

    private async Task WaitUntilParkedAsync(long? mark, Func<bool>? when, TimeSpan[] dueAt)
    {
        TimeSpan[] expected = [.. dueAt.Order()];
        var limit = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            bool parked;
            lock (_armed)
            {
                changed = _changed.Task;
                parked = Armed().SequenceEqual(expected) && _armed.All(t => t.ArmedAs > mark.GetValueOrDefault(-1));
            }

            // A loop woken by a signal (a task completed, run on the thread pool) may still hold its old timer: the
            // pool must have nothing queued either.
            bool settled() => ThreadPool.PendingWorkItemCount == 0 && (when?.Invoke() ?? true);
            if (parked && settled())
            {
                return;
            }

            var left = Limit - limit.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                string unmet = parked ? " (and the condition given did not hold, or the thread pool stayed busy)" : string.Empty;
                string seen = Describe is { } describe ? $"; {describe()}" : string.Empty;
                throw new Xunit.Sdk.XunitException($"at {Format([Elapsed])}: expected timers due at {Format(expected)}{unmet}, armed: {Format(Armed())}{seen}");
            }

            if (parked)
            {
                // The timers are as expected, but the rest changes without them: polled, then all again.
                await Eventually.TrueAsync(settled, left);
                continue;
            }

            try
            {
                // A limit in real time for a machine under load, not a pause: any change of the timers ends the wait.
                await changed.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                // Said above, on the next turn.
            }
        }
    }

    /// <summary>Moves time on to <paramref name="moment"/> (since <see cref="FakeTimeProvider.Start"/>), firing what is due by then.</summary>
    public void AdvanceTo(TimeSpan moment) => Advance(moment - Elapsed);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new WatchedTimer(this, period);

        // A zero due time fires within CreateTimer, before the inner timer is returned: the timer is armed first.
        timer.Arm(dueTime);
        try
        {
            timer.Inner = base.CreateTimer(
                s =>
                {
                    timer.Fired();
                    callback(s);
                },
                state,
                dueTime,
                period);
        }
        catch
        {
            Changed(timer, null);
            throw;
        }

        return timer;
    }

    private static string Format(IEnumerable<TimeSpan> moments) =>
        "[" + string.Join(", ", moments.Select(m => m.TotalSeconds.ToString("0.#######", CultureInfo.InvariantCulture) + " s")) + "]";

    // Null: the timer is no longer armed.
    private void Changed(WatchedTimer timer, long? dueTicks)
    {
        TaskCompletionSource changed;
        lock (_armed)
        {
            _armed.Remove(timer);
            if (dueTicks is { } due)
            {
                timer.DueTicks = due;
                timer.ArmedAs = ++_arms;
                _armed.Add(timer);
            }

            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private sealed class WatchedTimer(WatchedTimeProvider owner, TimeSpan period) : ITimer
    {
        private TimeSpan _period = period;

        public ITimer? Inner { get; set; }

        /// <summary>Gets or sets when the timer is due, in the provider's timestamps; set under the provider's lock.</summary>
        public long DueTicks { get; set; }

        /// <summary>Gets or sets the number of the arming that armed it last (see <see cref="Mark"/>); set under the provider's lock.</summary>
        public long ArmedAs { get; set; }

        public void Arm(TimeSpan dueTime) =>
            owner.Changed(this, dueTime == Timeout.InfiniteTimeSpan ? null : owner.GetTimestamp() + dueTime.Ticks);

        // A one-shot timer is spent once fired; a periodic one is due again a period after the moment it was due.
        public void Fired() =>
            owner.Changed(this, _period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero ? null : DueTicks + _period.Ticks);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            Arm(dueTime);
            return Inner!.Change(dueTime, period);
        }

        public void Dispose()
        {
            owner.Changed(this, null);
            Inner?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
