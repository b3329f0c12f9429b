using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Telemetry;
using LabTelemetry.Tests.Support;
using Xunit.Abstractions;

namespace LabTelemetry.Tests.Integration;

/// <summary>A large backlog (the outbox after a long outage) is delivered whole and in order; its speed is printed, not asserted.</summary>
public sealed class BacklogDrainTests(ITestOutputHelper output)
{
    private const int Backlog = 10_000;

    [Fact]
    public async Task TenThousandBufferedReadings_AreAllDelivered()
    {
        using var outboxDirectory = new ScratchDirectory();
        Fill(outboxDirectory.Path);
        await using var broker = await MosquittoBroker.StartAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");

        await using var worker = await InProcessWorker.StartAsync(broker, $"--Outbox:Directory={outboxDirectory.Path}", "--Mqtt:ProtocolVersion=5", "--Telemetry:Interval=00:01:00");

        // The live reading taken at start joins the backlog: 10 001 in all.
        Assert.True(await Eventually.TrueAsync(() => worker.Logged("Delivered 10001 buffered"), TimeSpan.FromSeconds(60)), $"delivered {grader.Received.Count}");
        Assert.True(await Eventually.TrueAsync(() => grader.Sequences.Count >= Backlog + 1), $"received {grader.Sequences.Count}");
        var sequences = grader.Sequences.Select(long.Parse).ToList();
        Assert.Equal(Enumerable.Range(1, Backlog + 1).Select(n => (long)n), sequences);
        output.WriteLine(worker.Log.GetSnapshot().Single(r => r.Message.StartsWith("Delivered 10001", StringComparison.Ordinal)).Message);
    }

    private static void Fill(string directory)
    {
        using var outbox = new DiskOutbox(
            Microsoft.Extensions.Options.Options.Create(new OutboxOptions { Directory = directory, Durable = false }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<DiskOutbox>.Instance);
        var start = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        for (int i = 0; i < Backlog; i++)
        {
            byte[] payload = LabPayload.Serialize(20 + (i % 50 / 10.0), ["Иванов И.И"], "БАГ-18-01", 1);
            outbox.Enqueue("DATA/b8:27:eb:12:34:56", payload, 1, start.AddSeconds(i * 5));
        }
    }
}
