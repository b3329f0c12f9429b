using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Support;

/// <summary>
/// Fake time whose wall clock can be stepped, as NTP steps a Raspberry Pi's clock (it has no RTC) by days after boot,
/// while the monotonic clock (<see cref="GetTimestamp"/>) and the timers move only with <see cref="Advance"/>.
/// <see cref="FakeTimeProvider"/> alone moves both together, so it cannot show the difference.
/// </summary>
internal sealed class SteppedWallClock : TimeProvider
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero));
    private long _offsetTicks;

    /// <summary>Lets real time pass: both clocks move, and timers fire.</summary>
    public void Advance(TimeSpan by) => _time.Advance(by);

    /// <summary>Steps the wall clock only, as NTP does; nothing else moves.</summary>
    public void Step(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => _time.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override long GetTimestamp() => _time.GetTimestamp();

    public override long TimestampFrequency => _time.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _time.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _time.CreateTimer(callback, state, dueTime, period);
}
