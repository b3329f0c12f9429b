using LabTelemetry.Core.Results;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Core.Results;

public sealed class LogBudgetTests
{
    private readonly SteppedWallClock _clock = new();

    [Fact]
    public void TryTake_BeyondTheBudget_CountsTheRest_AndANewSecondBringsANewBudget()
    {
        var budget = new LogBudget(5, _clock);

        Assert.Equal(5, Enumerable.Range(0, 8).Count(_ => budget.TryTake()));
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(3, budget.TakeSuppressed());
        Assert.True(budget.TryTake());
    }

    [Fact]
    public void TryTake_AfterTheWallClockStepsADayBack_StillGetsANewBudgetEachSecond()
    {
        var budget = new LogBudget(5, _clock);
        Assert.Equal(5, Enumerable.Range(0, 8).Count(_ => budget.TryTake()));

        _clock.Step(TimeSpan.FromDays(-1));
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(3, budget.TakeSuppressed());
        Assert.True(budget.TryTake());
    }

    [Fact]
    public void TakeSuppressed_AfterTheWallClockStepsADayForward_WaitsForTheSecondToEnd()
    {
        var budget = new LogBudget(5, _clock);
        Assert.Equal(5, Enumerable.Range(0, 8).Count(_ => budget.TryTake()));

        _clock.Step(TimeSpan.FromDays(1));

        // A flood is summed up once a second, not the moment NTP moves the clock.
        Assert.Equal(0, budget.TakeSuppressed());
        Assert.False(budget.TryTake());
    }
}
