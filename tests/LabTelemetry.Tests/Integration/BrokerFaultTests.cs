using LabTelemetry.Tests.Support;
using Xunit.Abstractions;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The worker (the published build in CI) against a real Mosquitto that misbehaves: stalled, denying by ACL then
/// fixed, limiting sizes, and a twin with our client id. What the broker sees is counted in its own log
/// (<c>log_type all</c>): the pace of PINGREQ and CONNECT stays the configured one, and the worker stays near idle.
/// </summary>
public sealed class BrokerFaultTests(ITestOutputHelper output)
{
    private const string Pings = "Received PINGREQ from ";
    private const string Connects = "New client connected from ";

    // Mosquitto logs a publish it takes as "Received PUBLISH", one its ACL denies as "Denied PUBLISH".
    private const string Publishes = " PUBLISH from ";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private static string[] Settings(MosquittoBroker broker, string version, params string[] more) =>
    [
        $"--Mqtt:Host={MosquittoBroker.Host}",
        $"--Mqtt:Port={broker.Port}",
        $"--Mqtt:ProtocolVersion={version}",
        "--Mqtt:HealthCheckInterval=00:00:01",
        "--Mqtt:OperationTimeout=00:00:01",
        "--Mqtt:KeepAlive=00:00:30",
        "--Mqtt:MaxReconnectDelay=00:00:08",
        "--Sensor:Kind=Simulated",
        "--Telemetry:Interval=00:00:00.500",
        "--Telemetry:Group=БАГ-18-01",
        "--Telemetry:Students:0=Иванов И.И",
        .. more,
    ];

    /// <summary>What the broker and the worker did over <paramref name="seconds"/> of real time.</summary>
    private async Task<(int Pings, int Connects, int Publishes, TimeSpan Cpu)> WatchAsync(MosquittoBroker broker, WorkerProcess worker, int seconds)
    {
        int pings = broker.Count(Pings), connects = broker.Count(Connects), publishes = broker.LogLines().Count(l => l.Contains(Publishes, StringComparison.Ordinal));
        var cpu = worker.CpuTime;

        // The worker process and mosquitto run on the real clock: their pace is counted over this much of it.
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var seen = (broker.Count(Pings) - pings, broker.Count(Connects) - connects, broker.LogLines().Count(l => l.Contains(Publishes, StringComparison.Ordinal)) - publishes, worker.CpuTime - cpu);
        output.WriteLine($"over {seconds} s: {seen.Item1} PINGREQ, {seen.Item2} CONNECT, {seen.Item3} PUBLISH, worker CPU {seen.Item4.TotalSeconds:0.00} s");
        return seen;
    }

    /// <summary>How many readings were set aside, counted in the records of <c>rejected/readings.log</c>.</summary>
    private static int RejectedReadings(string outbox)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(outbox, "rejected", "readings.log"));
        int count = 0;
        for (int offset = 0; LabTelemetry.Core.Outbox.OutboxRecord.Read(bytes.AsSpan(offset), out _, out int length, out _) == LabTelemetry.Core.Outbox.RecordFrame.Record; offset += length)
        {
            count++;
        }

        return count;
    }

    [Fact]
    public async Task BrokerStalledLongerThanTheOperationTimeout_ThenBack_PingsKeepTheirPace_AndReadingsFlowAgain()
    {
        await using var broker = MosquittoBroker.Logging();
        await broker.StartAgainAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        // Longer than the operation timeout, so a publish goes unanswered; shorter than two, so the ping that follows
        // is answered once the broker is back: the case that left the supervisor pinging flat out.
        await using var worker = WorkerProcess.Start(Settings(broker, "5", "--Mqtt:OperationTimeout=00:00:02"));
        Assert.True(await Eventually.TrueAsync(() => grader.Received.Count >= 2, Within), worker.Output);

        await broker.SignalAsync("STOP");

        // Mosquitto stopped for 3 s of the worker process's real time: longer than its operation timeout of 2 s.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await broker.SignalAsync("CONT");
        int before = grader.Received.Count;
        Assert.True(await Eventually.TrueAsync(() => grader.Received.Count > before + 2, Within), worker.Output);
        var seen = await WatchAsync(broker, worker, 10);

        // One health check a second, and no more: the stall left nothing behind that pings on its own.
        Assert.InRange(seen.Pings, 0, 13);
        Assert.InRange(seen.Connects, 0, 1);
        Assert.True(seen.Cpu < TimeSpan.FromSeconds(2), $"worker CPU {seen.Cpu.TotalSeconds:0.00} s in 10 s");
        var sequences = grader.Sequences.Select(long.Parse).ToHashSet();
        Assert.Equal(Enumerable.Range(1, (int)sequences.Max()).Select(n => (long)n), sequences.Order());
    }

    [Fact]
    public async Task AclDeniesData_RetriesWithBackoffAndSaysWhy_ThenTheFixedAclLetsEverythingThrough_WithoutARestart()
    {
        await using var broker = MosquittoBroker.Logging("acl_file {dir}/acl");
        broker.WriteFile("acl", "topic readwrite STATUS/#", "topic read RESULT/#");
        await broker.StartAgainAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        await using var worker = WorkerProcess.Start(Settings(broker, "5"));
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("not authorised", StringComparison.Ordinal), Within), worker.Output);

        var denied = await WatchAsync(broker, worker, 12);

        // Retries of the one reading at the head, 1, 2, 4, 8 s apart; pings at the health checks' pace only.
        Assert.InRange(denied.Publishes, 1, 6);
        Assert.InRange(denied.Pings, 0, 15);
        Assert.Equal(0, denied.Connects);
        Assert.Empty(grader.Received);
        Assert.Single(worker.Output.Split('\n'), l => l.Contains("the broker refused the publish to DATA/", StringComparison.Ordinal) && l.Contains("ACL", StringComparison.Ordinal));

        broker.WriteFile("acl", "topic readwrite STATUS/#", "topic read RESULT/#", "topic readwrite DATA/#");
        await broker.SignalAsync("HUP");

        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("The broker takes publishes to DATA/", StringComparison.Ordinal), Within), worker.Output);
        Assert.True(await Eventually.TrueAsync(() => grader.Sequences.Count >= 30, Within), $"{grader.Sequences.Count} arrived");
        var sequences = grader.Sequences.Select(long.Parse).ToList();
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(n => (long)n), sequences);
        Assert.Equal(1, broker.Count(Connects) - 1); // the grader's connect, and the worker's one
    }

    [Fact]
    public async Task MessageSizeLimitBelowThePayload_ReadingsAreSetAsideOnDisk_WithoutReconnecting()
    {
        await using var broker = MosquittoBroker.Logging("message_size_limit 40");
        await broker.StartAgainAsync();
        await using var worker = WorkerProcess.Start(Settings(broker, "5"));
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("Set a reading aside", StringComparison.Ordinal), Within), worker.Output);

        var seen = await WatchAsync(broker, worker, 5);

        Assert.Equal(0, seen.Connects);
        Assert.InRange(seen.Pings, 0, 7);
        Assert.Contains("larger than it accepts (code 149", worker.Output, StringComparison.Ordinal);
        Assert.True(RejectedReadings(worker.OutboxDirectory) >= 5, worker.Output);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("3.1.1")]
    public async Task MaxPacketSizeBelowAPublish_TheReadingIsSetAside_AndConnectsBackOff(string version)
    {
        // A long name makes each reading a ~300-byte packet; the CONNECT and the status stay under 200 bytes.
        string longName = new('И', 100);
        await using var broker = MosquittoBroker.Logging("max_packet_size 200");
        await broker.StartAgainAsync();
        await using var worker = WorkerProcess.Start(Settings(broker, version, $"--Telemetry:Students:0={longName}", "--Telemetry:Interval=00:00:05"));
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("Set a reading aside", StringComparison.Ordinal), TimeSpan.FromSeconds(60)), worker.Output);

        var seen = await WatchAsync(broker, worker, 15);

        // MQTT 5: the CONNACK says the limit and nothing too large is sent. 3.1.1: three connections die under each
        // reading, backing off 1, 2, 4, 8 s: a handful in 15 s, not one a second.
        Assert.InRange(seen.Connects, 0, version == "5" ? 0 : 6);
        Assert.True(seen.Cpu < TimeSpan.FromSeconds(2), $"worker CPU {seen.Cpu.TotalSeconds:0.00} s in 15 s");
    }

    [Theory]
    // Mosquitto 2.0.11 closes a taken-over MQTT 5 client without the SessionTakenOver reason (MQTTnet reports a
    // normal disconnection), so both versions are recognised by the quick drops; the line names the client id either way.
    [InlineData("5", "our client id labtelemetry-")]
    [InlineData("3.1.1", "our client id labtelemetry-")]
    public async Task TwoWorkersWithOneClientId_BackOff_AndOneSaysWhyItKeepsBeingDropped(string version, string warning)
    {
        await using var broker = MosquittoBroker.Logging();
        await broker.StartAgainAsync();
        await using var first = WorkerProcess.Start(Settings(broker, version));
        await using var second = WorkerProcess.Start(Settings(broker, version));
        Assert.True(await Eventually.TrueAsync(() => (first.Output + second.Output).Contains(warning, StringComparison.Ordinal), Within), first.Output + second.Output);

        var seen = await WatchAsync(broker, first, 20);

        // Two devices each connecting at the backoff's pace, capped at 8 s here: a few CONNECTs each per 20 s, not one a second.
        Assert.InRange(seen.Connects, 0, 14);
        Assert.True(seen.Cpu < TimeSpan.FromSeconds(2), $"worker CPU {seen.Cpu.TotalSeconds:0.00} s in 20 s");
    }

    [Fact]
    public async Task TheClientAlone_SendsNoKeepAlivePings_SoItIsTheSupervisorsPingsThatKeepTheLink()
    {
        await using var broker = MosquittoBroker.Logging();
        await broker.StartAgainAsync();
        using var client = new LabTelemetry.Core.Mqtt.MqttNetBrokerClient();
        var options = new MQTTnet.MqttClientOptionsBuilder().WithTcpServer(MosquittoBroker.Host, broker.Port).WithClientId("no-pings").WithKeepAlivePeriod(TimeSpan.FromSeconds(1)).Build();

        await client.ConnectAsync(options, CancellationToken.None);

        // MQTTnet's own loop would ping within the second; without it, Mosquitto drops us after 1.5 keep-alives.
        Assert.True(await Eventually.TrueAsync(() => !client.IsConnected, TimeSpan.FromSeconds(10)), "still connected without a ping");
        Assert.Equal(0, broker.Count("Received PINGREQ from no-pings"));
        Assert.Contains(broker.LogLines(), l => l.StartsWith(Connects, StringComparison.Ordinal) && l.Contains("no-pings", StringComparison.Ordinal) && l.Contains(", k1)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PublishingWorker_SendsNoPings_WhileTheBrokerAnswersItsPublishes()
    {
        await using var broker = MosquittoBroker.Logging();
        await broker.StartAgainAsync();
        await using var worker = WorkerProcess.Start(Settings(broker, "3.1.1"));
        Assert.True(await Eventually.TrueAsync(() => broker.LogLines().Count(l => l.Contains(Publishes, StringComparison.Ordinal)) >= 2, Within), worker.Output);

        // A reading every 0.5 s, health checks every 1 s: each check finds a publish answered within it.
        var seen = await WatchAsync(broker, worker, 6);

        Assert.InRange(seen.Publishes, 8, 16);
        Assert.Equal(0, seen.Pings);
        Assert.Equal(0, seen.Connects);
    }

    [Fact]
    public async Task IdleWorker_TellsTheBrokerItsKeepAlive_AndKeepsTheLinkWithTheSupervisorsPingsAlone()
    {
        await using var broker = MosquittoBroker.Logging();
        await broker.StartAgainAsync();
        await using var worker = WorkerProcess.Start(Settings(broker, "5", "--Mqtt:KeepAlive=00:00:02", "--Telemetry:Interval=01:00:00"));
        Assert.True(await Eventually.TrueAsync(() => broker.Count(Connects) == 1, Within), worker.Output);

        // Three keep-alive periods with nothing to publish after the first reading: a broker that saw no packet for
        // 1.5 of them would drop us. MQTTnet's own keep-alive loop is off; the health checks are the pings.
        var seen = await WatchAsync(broker, worker, 6);

        Assert.Contains(broker.LogLines(), l => l.StartsWith(Connects, StringComparison.Ordinal) && l.Contains(", k2)", StringComparison.Ordinal));
        Assert.Equal(0, seen.Connects);
        Assert.InRange(seen.Pings, 4, 8);
        Assert.DoesNotContain(broker.LogLines(), l => l.Contains("exceeded timeout", StringComparison.Ordinal));
    }
}
