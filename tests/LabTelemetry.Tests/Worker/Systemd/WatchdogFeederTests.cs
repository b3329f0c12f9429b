using LabTelemetry.Core.Health;
using LabTelemetry.Tests.Support;
using LabTelemetry.Worker.Systemd;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Worker.Systemd;

public sealed class WatchdogFeederTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly Liveness _liveness;
    private readonly RecordingNotifier _notifier;
    private readonly FakeLogger<WatchdogFeeder> _logger = new();
    private readonly WatchdogFeeder _feeder;

    public WatchdogFeederTests()
    {
        _notifier = new RecordingNotifier(_time);
        _liveness = new Liveness(_time);
        _feeder = new WatchdogFeeder(_liveness, _notifier, _time, _logger);
        _liveness.Expect("PublishLoop", TimeSpan.FromSeconds(20));
        _liveness.Expect("ConnectionSupervisor", TimeSpan.FromSeconds(60));
    }

    public void Dispose() => _feeder.Dispose();

    [Fact]
    public void Feed_WhileEveryLoopBeats_SendsWatchdog1()
    {
        for (int i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(15));
            _liveness.Beat("PublishLoop");
            _liveness.Beat("ConnectionSupervisor");
            Assert.True(_feeder.FeedIfAlive());
        }

        Assert.Equal(10, _notifier.States.Count(s => s == "WATCHDOG=1"));
    }

    [Fact]
    public void Feed_WhenALoopHangs_StopsFeeding_AndSaysWhichOnce()
    {
        _time.Advance(TimeSpan.FromSeconds(21));
        _liveness.Beat("ConnectionSupervisor");

        Assert.False(_feeder.FeedIfAlive());
        Assert.False(_feeder.FeedIfAlive());

        Assert.Empty(_notifier.States);
        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Critical, record.Level);
        Assert.Contains("PublishLoop has made no progress", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Feed_WhenTheLoopRecovers_FeedsAgain()
    {
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(_feeder.FeedIfAlive());

        _liveness.Beat("PublishLoop");
        _liveness.Beat("ConnectionSupervisor");

        Assert.True(_feeder.FeedIfAlive());
    }

    [Fact]
    public async Task Feeding_UnderATwentySecondWatchdog_SendsWatchdog1AtOnce_ThenEveryTenSeconds()
    {
        var start = _time.GetUtcNow();
        using var stop = new CancellationTokenSource();
        var feeding = _feeder.FeedAsync(TimeSpan.FromSeconds(20), stop.Token);

        for (int second = 1; second <= 60; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            _liveness.Beat("PublishLoop");
            _liveness.Beat("ConnectionSupervisor");

            // The timer's tick runs on the thread pool: let it land before time moves on, so its time is exact.
            int expected = 1 + (second / 10);
            Assert.True(await Eventually.TrueAsync(() => _notifier.States.Count >= expected), $"{_notifier.States.Count} feeds after {second} s");
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => feeding);
        Assert.Equal([0, 10, 20, 30, 40, 50, 60], _notifier.Times.Select(t => (t - start).TotalSeconds));
    }

    [Fact]
    public void Feed_WhenNtpStepsTheWallClockADayForward_KeepsFeeding()
    {
        var clock = new SteppedWallClock();
        var liveness = new Liveness(clock);
        liveness.Expect("PublishLoop", TimeSpan.FromSeconds(20));
        using var feeder = new WatchdogFeeder(liveness, _notifier, clock, _logger);

        clock.Advance(TimeSpan.FromSeconds(10));
        liveness.Beat("PublishLoop");
        clock.Step(TimeSpan.FromDays(1));
        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.True(feeder.FeedIfAlive());
        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    private sealed class RecordingNotifier(TimeProvider time) : ISystemdNotifier
    {
        private readonly List<(string State, DateTimeOffset At)> _sent = [];

        public List<string> States
        {
            get
            {
                lock (_sent)
                {
                    return _sent.Select(s => s.State).ToList();
                }
            }
        }

        public List<DateTimeOffset> Times
        {
            get
            {
                lock (_sent)
                {
                    return _sent.Select(s => s.At).ToList();
                }
            }
        }

        public bool IsEnabled => true;

        public void Notify(ServiceState state)
        {
            lock (_sent)
            {
                _sent.Add((state.ToString(), time.GetUtcNow()));
            }
        }
    }
}
