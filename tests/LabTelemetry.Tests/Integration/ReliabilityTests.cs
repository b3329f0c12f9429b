using System.Globalization;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// Faults on a real Mosquitto, each ending with the count that matters: every reading the worker produced
/// reached a subscriber, or still waits in the outbox. The worker speaks MQTT 5 here so each message carries
/// its outbox record number (user property <c>sequence</c>) and a redelivery can be told from a new reading.
/// </summary>
public sealed class ReliabilityTests
{
    private static readonly string[] Mqtt5 = ["--Mqtt:ProtocolVersion=5", "--Telemetry:Interval=00:00:00.200"];

    [Fact]
    public async Task BrokerAbsentAtStart_WorkerConnectsWhenItAppears_AndTheReadingsTakenMeanwhileArrive()
    {
        await using var broker = await MosquittoBroker.StartPersistentAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#", persistent: true);
        await broker.StopAsync(graceful: true);

        await using var worker = await InProcessWorker.StartAsync(broker, Mqtt5);
        Assert.True(await Eventually.TrueAsync(() => worker.Outbox.Count >= 5), "no readings were buffered");
        await broker.StartAgainAsync();
        await grader.ReconnectAsync();

        Assert.True(await Eventually.TrueAsync(() => worker.Logged("Delivered")), "the backlog was not delivered");
        await AssertNothingMissingAsync(worker, grader);
    }

    [Fact]
    public async Task BrokerRestarted_EverythingProducedDuringTheOutageIsDeliveredAfterwards()
    {
        await using var broker = await MosquittoBroker.StartPersistentAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#", persistent: true);
        await using var worker = await InProcessWorker.StartAsync(broker, Mqtt5);
        Assert.True(await Eventually.TrueAsync(() => grader.TakenAt.Count >= 3), "nothing arrived before the outage");

        await broker.StopAsync(graceful: true);
        Assert.True(await Eventually.TrueAsync(() => worker.Outbox.Count >= 5), "no readings were buffered during the outage");
        await broker.StartAgainAsync();
        await grader.ReconnectAsync();

        Assert.True(await Eventually.TrueAsync(() => worker.Logged("Delivered")), "the backlog was not delivered");
        await AssertNothingMissingAsync(worker, grader);
    }

    [Fact]
    public async Task KilledDuringAnOutage_WhatItBufferedIsDeliveredByTheNextRun()
    {
        await using var broker = MosquittoBroker.NotStarted();
        using var outbox = new ScratchDirectory();
        string[] settings = WorkerProcessSettings(broker, outbox.Path);

        await using (var first = WorkerProcess.Start(settings))
        {
            Assert.True(await Eventually.TrueAsync(() => OutboxFiles.Records(outbox.Path).Count >= 5, TimeSpan.FromSeconds(30)), first.Output);
            await first.KillAsync();
        }

        // What the killed run had on disk, by sequence number: they run on across restarts, so the next run sends
        // these very numbers.
        var buffered = OutboxFiles.Records(outbox.Path).Select(r => r.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        await broker.StartAgainAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");

        await using var second = WorkerProcess.Start(settings);
        Assert.True(await Eventually.TrueAsync(() => buffered.IsSubsetOf(grader.Sequences), TimeSpan.FromSeconds(30)), $"missing {buffered.Except(grader.Sequences).Count()} of {buffered.Count}\n{second.Output}");
        Assert.Contains($"{buffered.Count} reading(s) waiting from before", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backlog_IsDeliveredInTheOrderItWasProduced()
    {
        await using var broker = MosquittoBroker.NotStarted(persistent: true);
        await broker.StartAgainAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#", persistent: true);
        await broker.StopAsync(graceful: true);
        await using var worker = await InProcessWorker.StartAsync(broker, [.. Mqtt5, "--Telemetry:Interval=00:00:00.050"]);
        Assert.True(await Eventually.TrueAsync(() => worker.Outbox.Count >= 40), "no backlog");

        await broker.StartAgainAsync();
        await grader.ReconnectAsync();
        Assert.True(await Eventually.TrueAsync(() => worker.Logged("Delivered")), "the backlog was not delivered");
        await worker.StopAsync();

        var order = grader.Sequences.Distinct().Select(long.Parse).ToList();
        Assert.True(order.Count >= 40, $"{order.Count} delivered");
        Assert.Equal(order.Order(), order);
    }

    internal static string[] WorkerProcessSettings(MosquittoBroker broker, string outbox) =>
    [
        $"--Mqtt:Host={broker.Address}",
        $"--Mqtt:Port={broker.Port}",
        "--Mqtt:ProtocolVersion=5",
        "--Mqtt:MaxReconnectDelay=00:00:01",
        "--Mqtt:HealthCheckInterval=00:00:00.500",
        "--Mqtt:KeepAlive=00:00:02",
        "--Sensor:Kind=Simulated",
        "--Telemetry:Interval=00:00:00.500",
        "--Telemetry:Group=БАГ-18-01",
        "--Telemetry:Students:0=Иванов И.И",
        "--Device:Id=b8:27:eb:12:34:56",
        $"--Outbox:Directory={outbox}",
    ];

    /// <summary>
    /// Stops the worker, then compares sets of outbox record numbers (the MQTT 5 user property <c>sequence</c>): every
    /// record it produced arrived, but for the newest few that still wait on disk for the next run, and nothing arrived
    /// that it did not produce. Counts could balance a loss with an invention; sets cannot.
    /// </summary>
    private static async Task AssertNothingMissingAsync(InProcessWorker worker, TestSubscriber grader)
    {
        var outbox = worker.Outbox;
        await worker.StopAsync();

        // The worker started on an empty outbox, which numbers its records from 1 (a dropped one would be missing below).
        var waiting = outbox.Waiting().ToHashSet();
        var produced = Enumerable.Range(1, checked((int)outbox.NumberOfTheNextReading() - 1)).Select(n => (long)n).ToHashSet();
        HashSet<long> Received() => grader.Sequences.Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToHashSet();

        Assert.True(
            await Eventually.TrueAsync(() => produced.IsSubsetOf(Received().Union(waiting))),
            $"produced {produced.Count}; neither received nor waiting: {string.Join(", ", produced.Except(Received()).Except(waiting))}");
        Assert.True(produced.Count >= 5, $"only {produced.Count} readings produced");
        Assert.Empty(Received().Except(produced));

        // What still waits is the newest stretch, not a hole in the middle that the sender skipped.
        Assert.Equal(produced.Where(s => s > produced.Count - waiting.Count).Order(), waiting.Order());
    }
}
