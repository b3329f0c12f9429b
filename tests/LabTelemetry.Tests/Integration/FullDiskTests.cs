using System.Diagnostics;
using System.Text;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The outbox on a disk that is full: a tiny tmpfs mounted for the test and filled to the last block (root; CI runs as
/// root). Readings are held in memory while the log cannot be written, said once, and written into the log, in order,
/// when space comes back, which is said once too.
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

    internal static void Run(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()}");
    }

    /// <summary>Mounts a 64 KiB tmpfs at <paramref name="path"/> and fills it until not one more block fits.</summary>
    internal static void MountFull(string path)
    {
        Run("mount", "-t", "tmpfs", "-o", "size=64k", "labtelemetry-full", path);
        using var filler = File.OpenWrite(Path.Combine(path, "filler"));
        try
        {
            while (true)
            {
                filler.Write(new byte[4096]);
                filler.Flush();
            }
        }
        catch (IOException)
        {
            // Full.
        }
    }

    [SkippableFact]
    public async Task DiskFull_ReadingsAreHeldInMemoryAndSentFromThere_SaidOnce_AndWrittenIntoTheLogInOrderWhenSpaceReturns()
    {
        Skip.IfNot(Environment.UserName == "root", "mounting a small tmpfs needs root (CI runs as root)");
        MountFull(_mountPoint.Path);
        _mounted = true;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero));
        var logger = new FakeLogger<DiskOutbox>();
        var outbox = new DiskOutbox(new OutboxOptions { Directory = _mountPoint.Path }, logger, time, FileLayer.Disk);
        for (int i = 1; i <= 5; i++)
        {
            outbox.Enqueue("DATA/x", Encoding.UTF8.GetBytes($"reading {i}"), 1, time.GetUtcNow());
            time.Advance(TimeSpan.FromSeconds(1));
        }

        // Held, and sent from memory: the sender sees them as it sees any other.
        Assert.Equal(5, outbox.Count);
        var first = await outbox.PeekAsync(CancellationToken.None);
        Assert.Equal("reading 1", Encoding.UTF8.GetString(first.Payload));
        outbox.Acknowledge(first.Sequence);

        File.Delete(Path.Combine(_mountPoint.Path, "filler"));
        time.Advance(TimeSpan.FromSeconds(5));
        outbox.Enqueue("DATA/x", Encoding.UTF8.GetBytes("reading 6"), 1, time.GetUtcNow());
        outbox.Dispose();

        var log = logger.Collector.GetSnapshot();
        var failed = Assert.Single(log, r => r.Message.StartsWith("Cannot write readings to the outbox", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, failed.Level);
        Assert.Contains("No space left on device", failed.Message, StringComparison.Ordinal);
        Assert.Single(log, r => r.Message.StartsWith("Writing readings to the outbox", StringComparison.Ordinal) && r.Message.Contains("works again", StringComparison.Ordinal));

        // What was held and not yet acknowledged, then the new one, all in the log now, in their order.
        Assert.Equal(["reading 2", "reading 3", "reading 4", "reading 5", "reading 6"], OutboxFiles.Records(_mountPoint.Path).Select(r => Encoding.UTF8.GetString(r.Payload)));
    }
}

/// <summary>The service itself on a full disk: what it cannot write still reaches the broker, and waits in memory while the broker is away.</summary>
public sealed class FullDiskServiceTests : IDisposable
{
    private readonly ScratchDirectory _mountPoint = new();
    private bool _mounted;

    public void Dispose()
    {
        if (_mounted)
        {
            FullDiskTests.Run("umount", _mountPoint.Path);
        }

        _mountPoint.Dispose();
    }

    [SkippableFact]
    public async Task OnAFullDisk_EveryReadingReachesTheBroker_AndThoseMadeWhileItIsAwayArriveWhenItReturns_InOrder()
    {
        Skip.IfNot(Environment.UserName == "root", "mounting a small tmpfs needs root (CI runs as root)");
        FullDiskTests.MountFull(_mountPoint.Path);
        _mounted = true;
        // Persistent, so that what the broker queued for the grader outlives the broker's restart.
        var broker = MosquittoBroker.NotStarted(persistent: true);
        await using var _ = broker;
        await broker.StartAgainAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#", persistent: true);
        await using var worker = WorkerProcess.Start(ReliabilityTests.WorkerProcessSettings(broker, _mountPoint.Path));

        Assert.True(await Eventually.TrueAsync(() => grader.Sequences.Count >= 10, TimeSpan.FromSeconds(30)), worker.Output);
        Assert.Contains("Cannot write readings to the outbox", worker.Output, StringComparison.Ordinal);

        await broker.StopAsync(graceful: true);

        // Ten seconds of readings made while the broker is away: held in memory, for the broker to get when it is back.
        await Task.Delay(TimeSpan.FromSeconds(10));
        await broker.StartAgainAsync();
        await grader.ReconnectAsync();
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("Delivered ", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), worker.Output);
        await worker.TerminateAsync();
        await worker.ExitCodeAsync(TimeSpan.FromSeconds(30));

        long[] received = [.. grader.Sequences.Select(long.Parse).Distinct()];
        int made = (int)received.Max();
        Assert.Equal(Enumerable.Range(1, made).Select(n => (long)n), received);
        Assert.True(made >= 30, $"only {made} readings reached the broker\n{worker.Output}");
    }
}
