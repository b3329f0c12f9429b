using LabTelemetry.Tests.Support;
using Xunit.Abstractions;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// <c>kill -9</c> at random moments, dozens of times, while the worker appends readings and the broker acknowledges
/// them: every reading that was written is delivered in the end, none twice more than the in-flight window allows.
/// </summary>
public sealed class CrashLoopTests(ITestOutputHelper output)
{
    private const int Kills = 24;

    // The sender keeps this many publishes in flight: a kill can leave at most these acknowledged but unrecorded.
    private const int Window = 16;

    [Fact]
    public async Task KilledAtRandomMomentsOfAppendAndAcknowledgement_LosesNothing_AndRedeliversAtMostTheWindow()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        using var outbox = new ScratchDirectory();
        string[] settings = [.. ReliabilityTests.WorkerProcessSettings(broker, outbox.Path), "--Telemetry:Interval=00:00:00.050"];
        var random = new Random(20261125);

        for (int kill = 0; kill < Kills; kill++)
        {
            await using var worker = WorkerProcess.Start(settings);
            int before = grader.Sequences.Count;
            Assert.True(await Eventually.TrueAsync(() => grader.Sequences.Count > before, TimeSpan.FromSeconds(30)), worker.Output);
            // The worker process runs a random moment of real time before the kill, so kills land at different points of its work.
            await Task.Delay(random.Next(0, 400));
            await worker.KillAsync();
        }

        // A last run, left to finish: whatever the killed ones wrote goes out now.
        await using (var last = WorkerProcess.Start(settings))
        {
            int before = grader.Sequences.Count;
            Assert.True(await Eventually.TrueAsync(() => grader.Sequences.Count > before + 20, TimeSpan.FromSeconds(30)), last.Output);
            await last.TerminateAsync();
            Assert.Equal(0, await last.ExitCodeAsync(TimeSpan.FromSeconds(30)));
        }

        var received = grader.Sequences.Select(long.Parse).ToList();
        long highest = received.Max();
        var missing = Enumerable.Range(1, (int)highest).Select(n => (long)n).Except(received).ToList();
        int duplicates = received.Count - received.Distinct().Count();
        output.WriteLine($"{Kills} kills: {highest} readings, {duplicates} delivered twice, {OutboxFiles.Records(outbox.Path).Count} records left on disk");

        // Sequence numbers are consecutive and run on across runs: a hole would be a reading written and then lost.
        Assert.Empty(missing);
        Assert.InRange(duplicates, 0, Kills * Window);
    }
}
