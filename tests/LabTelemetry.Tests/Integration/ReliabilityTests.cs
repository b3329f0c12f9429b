using LabTelemetry.Core.Outbox;
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
            Assert.True(await Eventually.TrueAsync(() => Directory.GetFiles(outbox.Path, "*.msg").Length >= 5, TimeSpan.FromSeconds(30)), first.Output);
            await first.KillAsync();
        }

        // The buffered readings, by timestamp: the second run numbers its outbox records afresh. (Two records may
        // carry one reading, when two ticks found the same newest reading.)
        string[] records = Directory.GetFiles(outbox.Path, "*.msg");
        var buffered = records
            .Select(path => OutboxRecord.Decode(0, File.ReadAllBytes(path), out _)!.TakenAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
            .ToHashSet();
        await broker.StartAgainAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");

        await using var second = WorkerProcess.Start(settings);
        Assert.True(await Eventually.TrueAsync(() => buffered.IsSubsetOf(grader.TakenAt), TimeSpan.FromSeconds(30)), $"missing {buffered.Except(grader.TakenAt).Count()} of {buffered.Count}\n{second.Output}");
        Assert.Contains($"{records.Length} reading(s) waiting from before", second.Output, StringComparison.Ordinal);
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

    /// <summary>Stops the worker, then checks that each reading it produced was received at least once or still waits in its outbox.</summary>
    private static async Task AssertNothingMissingAsync(InProcessWorker worker, TestSubscriber grader)
    {
        var outbox = worker.Outbox;
        await worker.StopAsync();
        long produced = worker.Produced;
        int waiting = outbox.Count;
        int Distinct() => grader.Sequences.Distinct().Count();

        Assert.True(await Eventually.TrueAsync(() => Distinct() + waiting >= produced), $"produced {produced}, received {Distinct()} distinct, {waiting} still waiting");
        Assert.True(Distinct() <= produced, $"received {Distinct()} distinct readings but only {produced} were produced");
    }
}
