using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>The retained STATUS/&lt;mac&gt;: online while connected, offline after a clean stop or, by the broker's will, after a crash.</summary>
public sealed class AvailabilityTests
{
    private const string StatusTopic = "STATUS/b8:27:eb:12:34:56";

    [Fact]
    public async Task Status_IsRetainedOnline_ThenOfflineAfterACleanStop()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using (var worker = await InProcessWorker.StartAsync(broker))
        {
            Assert.True(await Eventually.TrueAsync(() => worker.Logged("Connected to")));
            Assert.Equal("online", await RetainedStatusAsync(broker));
        }

        Assert.Equal("offline", await RetainedStatusAsync(broker));
    }

    [Fact]
    public async Task Status_AfterKill9_IsOfflineByTheWill()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        using var outbox = new ScratchDirectory();
        await using var worker = WorkerProcess.Start(ReliabilityTests.WorkerProcessSettings(broker, outbox.Path));
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("Connected to", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), worker.Output);
        Assert.Equal("online", await RetainedStatusAsync(broker));

        await worker.KillAsync();

        Assert.True(await Eventually.TrueAsync(async () => await RetainedStatusAsync(broker) == "offline"), "the will was not published");
    }

    [Fact]
    public async Task Status_CanBeSwitchedOff()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var worker = await InProcessWorker.StartAsync(broker, "--Availability:Topic=");
        Assert.True(await Eventually.TrueAsync(() => worker.Logged("Connected to")));

        Assert.Null(await RetainedStatusAsync(broker));
    }

    /// <summary>
    /// What a new subscriber gets on the status topic: the retained message, or <see langword="null"/>. Absence is
    /// proven, not waited out: a marker published after subscribing arrives after any retained message would have.
    /// </summary>
    private static async Task<string?> RetainedStatusAsync(MosquittoBroker broker)
    {
        await using var probe = await TestSubscriber.ConnectAsync(broker, StatusTopic);
        string marker = "probe-" + Guid.NewGuid().ToString("N");
        await TestSubscriber.PublishAsync(broker, StatusTopic, marker);
        Assert.True(await Eventually.TrueAsync(() => probe.Received.Any(m => m.Payload == marker)), "the probe's own marker never arrived");

        var before = probe.Received.TakeWhile(m => m.Payload != marker).ToList();
        Assert.True(before.Count <= 1, $"{before.Count} messages before the marker");
        return before.Count == 1 ? before[0].Payload : null;
    }
}
