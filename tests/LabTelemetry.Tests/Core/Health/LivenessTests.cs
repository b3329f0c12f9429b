using LabTelemetry.Core.Health;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Core.Health;

/// <summary>Quiet spells are measured on the monotonic clock: NTP stepping a Pi's wall clock by a day changes nothing.</summary>
public sealed class LivenessTests
{
    private static readonly TimeSpan MaxQuiet = TimeSpan.FromSeconds(20);

    private readonly SteppedWallClock _clock = new();
    private readonly Liveness _liveness;

    public LivenessTests()
    {
        _liveness = new Liveness(_clock);
        _liveness.Expect("PublishLoop", MaxQuiet);
    }

    [Fact]
    public void FirstStalled_WhenTheWallClockStepsADayForward_FindsNoStall()
    {
        _clock.Advance(TimeSpan.FromSeconds(15));
        _liveness.Beat("PublishLoop");

        _clock.Step(TimeSpan.FromDays(1));
        _clock.Advance(TimeSpan.FromSeconds(15));

        Assert.Null(_liveness.FirstStalled());
    }

    [Fact]
    public void FirstStalled_WhenTheWallClockStepsADayBack_StillFindsARealStall()
    {
        _clock.Step(TimeSpan.FromDays(-1));
        _clock.Advance(MaxQuiet + TimeSpan.FromSeconds(1));

        var stalled = _liveness.FirstStalled();

        Assert.Equal(("PublishLoop", MaxQuiet + TimeSpan.FromSeconds(1)), stalled);
    }

    [Fact]
    public void FirstStalled_WhenALoopBeatsInTime_FindsNoStall()
    {
        for (int i = 0; i < 10; i++)
        {
            _clock.Advance(MaxQuiet);
            Assert.Null(_liveness.FirstStalled());
            _liveness.Beat("PublishLoop");
        }
    }
}
