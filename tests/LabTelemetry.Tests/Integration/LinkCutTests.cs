using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>The Wi-Fi drops for longer than the keep-alive and comes back: the worker reconnects and delivers everything.</summary>
public sealed class LinkCutTests
{
    [SkippableFact]
    public async Task LinkCutLongerThanTheKeepAlive_ReconnectsAndDeliversEveryReading()
    {
        Skip.IfNot(VethLink.Possible, "needs root and iproute2 to build a network namespace joined by a veth pair (CI runs as root)");
        using var link = VethLink.Create();
        await using var broker = await MosquittoBroker.StartAsync(0, link.HostAddress);
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        using var outbox = new ScratchDirectory();
        await using var worker = WorkerProcess.StartWrapped(link.Wrapper, ReliabilityTests.WorkerProcessSettings(broker, outbox.Path));
        Assert.True(await Eventually.TrueAsync(() => grader.Sequences.Count >= 3, TimeSpan.FromSeconds(30)), worker.Output);

        // Keep-alive is 2 s, so a silent link is declared dead after 3 s; cut it for 6 s of the worker process's real time.
        link.Cut();
        await Task.Delay(TimeSpan.FromSeconds(6));
        int receivedDuringCut = grader.Sequences.Count;
        link.Restore();

        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("Delivered", StringComparison.Ordinal), TimeSpan.FromSeconds(60)), worker.Output);
        await worker.TerminateAsync();
        await worker.ExitCodeAsync(TimeSpan.FromSeconds(30));

        // Outbox records are numbered as they are produced: a gap would be a lost reading.
        var received = grader.Sequences.Select(long.Parse).ToHashSet();
        long last = received.Max();
        var missing = Enumerable.Range(1, (int)last).Where(n => !received.Contains(n)).ToList();
        Assert.True(missing.Count == 0, $"missing {string.Join(", ", missing)} of 1..{last}\n{worker.Output}");
        Assert.True(last > receivedDuringCut + 5, $"only {last} readings, {receivedDuringCut} before the link came back");
        Assert.Contains("Disconnected from", worker.Output, StringComparison.Ordinal);
    }
}
