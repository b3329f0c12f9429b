using LabTelemetry.Core.Health;
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
    private readonly RecordingNotifier _notifier = new();
    private readonly FakeLogger<WatchdogFeeder> _logger = new();
    private readonly WatchdogFeeder _feeder;

    public WatchdogFeederTests()
    {
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

    private sealed class RecordingNotifier : ISystemdNotifier
    {
        public List<string> States { get; } = [];

        public bool IsEnabled => true;

        public void Notify(ServiceState state) => States.Add(state.ToString());
    }
}
