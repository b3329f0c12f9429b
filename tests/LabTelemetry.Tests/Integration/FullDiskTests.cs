using System.Diagnostics;
using LabTelemetry.Core.Health;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The outbox on a disk that fills: a small tmpfs mounted for the test (root; CI runs as root). The publish loop says
/// once that readings cannot be written, keeps going, and says once that writing works again when space returns.
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private readonly ScratchDirectory _mountPoint = new();
    private bool _mounted;

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", _mountPoint.Path);
        }

        _mountPoint.Dispose();
    }

    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(program, args);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed");
    }

    [SkippableFact]
    public void DiskFull_IsSaidOnce_ReadingsResumeWhenSpaceReturns_AndThatIsSaidOnce()
    {
        Skip.IfNot(Environment.UserName == "root", "mounting a small tmpfs needs root (CI runs as root)");

        // Room for the outbox's mark, not for a 1 MiB segment: the first append cannot find a place.
        Run("mount", "-t", "tmpfs", "-o", "size=256k", "labtelemetry-full", _mountPoint.Path);
        _mounted = true;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero));
        var latest = new LatestReading();
        var logger = new FakeLogger<PublishLoop>();
        using var outbox = new DiskOutbox(Options.Create(new OutboxOptions { Directory = _mountPoint.Path }), new FakeLogger<DiskOutbox>());
        var loop = new PublishLoop(latest, outbox, TestDevice.Pi, Options.Create(new TelemetryOptions { Group = "БАГ-18-01", Students = ["Иванов И.И"] }), new Liveness(time), time, logger);

        var whileFull = new List<TickOutcome>();
        for (int i = 0; i < 5; i++)
        {
            latest.Set(new SensorReading(21.5, time.GetUtcNow(), time.GetTimestamp()));
            whileFull.Add(loop.PublishTick());
        }

        Run("mount", "-o", "remount,size=8m", _mountPoint.Path);
        latest.Set(new SensorReading(21.5, time.GetUtcNow(), time.GetTimestamp()));
        var afterwards = loop.PublishTick();

        Assert.All(whileFull, outcome => Assert.Equal(TickOutcome.NotQueued, outcome));
        Assert.Equal(TickOutcome.Queued, afterwards);
        Assert.Equal(1, outbox.Count);
        var log = logger.Collector.GetSnapshot();
        var failed = Assert.Single(log, r => r.Message.StartsWith("Cannot write readings to the outbox", StringComparison.Ordinal));
        Assert.Contains("No space left on device", failed.Message, StringComparison.Ordinal);
        Assert.Single(log, r => r.Message.StartsWith("Writing readings to the outbox", StringComparison.Ordinal) && r.Message.EndsWith("works again", StringComparison.Ordinal));
    }
}
