using System.Globalization;
using LabTelemetry.Tests.Support;
using Xunit.Abstractions;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// <c>kill -9</c> at random moments, dozens of times (200 with <c>LABTELEMETRY_LONG_RUN=1</c>), while the worker
/// appends readings and the broker acknowledges them: every reading written is delivered in the end, first
/// deliveries come in the order of their numbers, and a reading delivered again is byte for byte what it was the
/// first time (payload, <c>sequence</c> and <c>taken-at</c>).
/// </summary>
public sealed class CrashLoopTests(ITestOutputHelper output)
{
    private static readonly int Kills = Environment.GetEnvironmentVariable("LABTELEMETRY_LONG_RUN") == "1" ? 200 : 24;

    [Fact]
    public async Task KilledAtRandomMoments_EveryReadingWrittenIsDelivered_InOrder_AndEachRedeliveryIsTheSame()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        using var outbox = new ScratchDirectory();
        string[] settings = [.. ReliabilityTests.WorkerProcessSettings(broker, outbox.Path), "--Telemetry:Interval=00:00:00.050"];
        var random = new Random(20261201);

        for (int kill = 0; kill < Kills; kill++)
        {
            await using var worker = WorkerProcess.Start(settings);
            int before = grader.Deliveries.Count;
            Assert.True(await Eventually.TrueAsync(() => grader.Deliveries.Count > before, TimeSpan.FromSeconds(30)), worker.Output);

            // The worker process runs a random moment of real time before the kill, so kills land at different points of its work.
            await Task.Delay(random.Next(0, 400));
            await worker.KillAsync();
        }

        // A last run, left to finish: whatever the killed ones wrote goes out now.
        await using (var last = WorkerProcess.Start(settings))
        {
            int before = grader.Deliveries.Count;
            Assert.True(await Eventually.TrueAsync(() => grader.Deliveries.Count > before + 20, TimeSpan.FromSeconds(30)), last.Output);
            await last.TerminateAsync();
            Assert.Equal(0, await last.ExitCodeAsync(TimeSpan.FromSeconds(30)));
        }

        var deliveries = grader.Deliveries.ToList();
        var first = new Dictionary<long, TestSubscriber.Delivery>();
        var order = new List<long>();
        var changed = new List<string>();
        foreach (var delivery in deliveries)
        {
            long sequence = long.Parse(delivery.Sequence!, CultureInfo.InvariantCulture);
            if (first.TryGetValue(sequence, out var earlier))
            {
                if (earlier with { At = delivery.At } != delivery)
                {
                    changed.Add($"{sequence}: first {earlier}, again {delivery}");
                }
            }
            else
            {
                first[sequence] = delivery;
                order.Add(sequence);
            }
        }

        // Written: what the log holds, acknowledged or not (no segment fills in this run, so none was deleted).
        long[] written = [.. OutboxFiles.Records(outbox.Path).Select(r => r.Sequence)];
        long[] missing = [.. written.Where(n => !first.ContainsKey(n))];
        output.WriteLine($"{Kills} kills: {written.Length} readings written, {order.Count} delivered, {deliveries.Count - order.Count} delivered again, {changed.Count} changed");

        Assert.True(written.Length > Kills * 2, $"only {written.Length} readings written");
        Assert.Empty(missing);
        Assert.Empty(changed);
        Assert.Equal(order.Order(), order);
    }
}
