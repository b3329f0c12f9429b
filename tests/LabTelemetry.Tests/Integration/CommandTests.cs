using System.Diagnostics;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>demo, check, once, --help and --version, run as a student runs them.</summary>
public sealed class CommandTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private static readonly string[] Lab = ["--Telemetry:Group=БАГ-18-01", "--Telemetry:Students:0=Иванов И.И", "--Sensor:Kind=Simulated", "--Device:Id=b8:27:eb:12:34:56"];

    private static string[] On(MosquittoBroker broker, params string[] more) => [$"--Mqtt:Host={broker.Address}", $"--Mqtt:Port={broker.Port}", .. Lab, .. more];

    [Fact]
    public async Task Help_ListsTheCommands_AndPointsToTheConfigurationTable()
    {
        await using var worker = WorkerProcess.Start("--help");

        Assert.Equal(0, await worker.ExitCodeAsync(Within));
        Assert.All(["demo", "check", "once [--dry-run]", "configuration table of README.md"], text => Assert.Contains(text, worker.Output, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Version_IsTheOneDirectoryBuildPropsSets_AndExitCode0()
    {
        await using var worker = WorkerProcess.Start("--version");

        Assert.Equal(0, await worker.ExitCodeAsync(Within));
        Assert.Equal($"LabTelemetry {RepositoryRoot.Version()}", worker.Output.Trim());
    }

    [Fact]
    public async Task WrongArgument_IsOneLine_AndExitCode64()
    {
        await using var worker = WorkerProcess.Start("chek");

        Assert.Equal(64, await worker.ExitCodeAsync(Within));
        Assert.Equal("labtelemetry: unknown command 'chek'; see --help", worker.Output.Trim());
    }

    [Fact]
    public async Task Demo_ShowsAPublishThenAResult_AndCtrlCEndsItWith0()
    {
        await using var worker = WorkerProcess.Start("demo");

        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("RESULT for our group", StringComparison.Ordinal), Within), worker.Output);
        await worker.InterruptAsync();

        Assert.Equal(0, await worker.ExitCodeAsync(Within));
        // The broker's acknowledgement and the grader's answer arrive a moment apart, so their two log lines may swap.
        string output = worker.Output;
        Assert.Contains("Published {\"temperature\"", output, StringComparison.Ordinal);
        Assert.Contains("is well-formed, answering group", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_AgainstAWorkingBroker_SaysConnectAndSubscriptionAreFine()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var worker = WorkerProcess.Start(["check", .. On(broker, "--Mqtt:Password=topsecret", "--Mqtt:Username=student")]);

        await worker.ExitCodeAsync(Within);

        Assert.Contains($"✓ broker 127.0.0.1:{broker.Port} reachable over TCP", worker.Output, StringComparison.Ordinal);
        Assert.Contains("✓ MQTT connect accepted (MQTT 3.1.1, as student)", worker.Output, StringComparison.Ordinal);
        Assert.Contains("✓ subscription to RESULT/# granted", worker.Output, StringComparison.Ordinal);
        Assert.Contains("✓ the broker accepts publishes to DATA/b8:27:eb:12:34:56 (an MQTT 5 probe was acknowledged)", worker.Output, StringComparison.Ordinal);
        Assert.Contains("Mqtt:Password = ****", worker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("topsecret", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_BrokerWhoseAclDeniesData_SaysSoEvenForMqtt311_WhichWouldHideIt()
    {
        await using var broker = MosquittoBroker.Logging("acl_file {dir}/acl");
        broker.WriteFile("acl", "topic readwrite STATUS/#", "topic read RESULT/#");
        await broker.StartAgainAsync();
        await using var worker = WorkerProcess.Start(["check", .. On(broker, "--Mqtt:ProtocolVersion=3.1.1")]);

        Assert.Equal(1, await worker.ExitCodeAsync(Within));

        Assert.Contains("✗ the broker refused the publish to DATA/b8:27:eb:12:34:56: not authorised", worker.Output, StringComparison.Ordinal);
        Assert.Contains("with MQTT 3.1.1 the broker would acknowledge and drop every reading", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_BrokerThatRequiresALogin_SaysTheLoginWasRefused_UnlessItIsGiven()
    {
        await using var broker = await MosquittoBroker.StartWithLoginAsync("student", "right");

        await using (var anonymous = WorkerProcess.Start(["check", .. On(broker)]))
        {
            Assert.Equal(1, await anonymous.ExitCodeAsync(Within));
            Assert.Contains("✗ MQTT connect failed: the broker refused the connection: NotAuthorized", anonymous.Output, StringComparison.Ordinal);
            Assert.Contains("check Mqtt:Username and Mqtt:Password", anonymous.Output, StringComparison.Ordinal);
        }

        await using var student = WorkerProcess.Start(["check", .. On(broker, "--Mqtt:Username=student", "--Mqtt:Password=right")]);
        await student.ExitCodeAsync(Within);
        Assert.Contains("✓ MQTT connect accepted (MQTT 3.1.1, as student)", student.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_StoppedBroker_SaysSoInOneLineWithAFix_WithinSeconds()
    {
        await using var broker = MosquittoBroker.NotStarted();
        var watch = Stopwatch.StartNew();
        await using var worker = WorkerProcess.Start(["check", .. On(broker)]);

        Assert.Equal(1, await worker.ExitCodeAsync(Within));

        var line = Assert.Single(worker.Output.Split('\n'), l => l.Contains($"127.0.0.1:{broker.Port}", StringComparison.Ordinal));
        Assert.Equal($"✗ broker 127.0.0.1:{broker.Port} not reachable over TCP: connection refused: no broker listens there (check Mqtt:Host and Mqtt:Port) — is the broker running? check Mqtt:Host and Mqtt:Port", line.Trim());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"check took {watch.Elapsed}");
    }

    [Fact]
    public async Task OnceDryRun_PrintsTopicAndTheExactPayload_AndPublishesNothing()
    {
        await using var worker = WorkerProcess.Start(["once", "--dry-run", .. Lab, "--Mqtt:Port=1"]);

        Assert.Equal(0, await worker.ExitCodeAsync(Within));
        var lines = worker.Output.Trim().Split('\n');
        Assert.Equal("topic:   DATA/b8:27:eb:12:34:56", lines[0]);
        Assert.Matches("""^payload: \{"temperature": \d+\.\d, "students": \["Иванов И.И"\], "group": "БАГ-18-01"\}$""", lines[1]);
        Assert.Equal(2, lines.Length);
    }

    [Fact]
    public async Task Once_PublishesTheReadingAndWaitsForTheAcknowledgement()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        await using var worker = WorkerProcess.Start(["once", .. On(broker)]);

        Assert.Equal(0, await worker.ExitCodeAsync(Within));
        Assert.Contains($"✓ published to 127.0.0.1:{broker.Port}, acknowledged in", worker.Output, StringComparison.Ordinal);
        Assert.True(await Eventually.TrueAsync(() => !grader.Received.IsEmpty));
        string printed = worker.Output.Split('\n').Single(l => l.StartsWith("payload: ", StringComparison.Ordinal))["payload: ".Length..].Trim();
        Assert.Equal(printed, grader.Received.Single().Payload);
    }

    [Fact]
    public async Task Once_StoppedBroker_ExitsWith69()
    {
        await using var broker = MosquittoBroker.NotStarted();
        await using var worker = WorkerProcess.Start(["once", .. On(broker)]);

        Assert.Equal(69, await worker.ExitCodeAsync(Within));
        Assert.Contains("✗ MQTT connect failed: connection refused: no broker listens there — check Mqtt:Host and Mqtt:Port", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Once_NoSensor_ExitsWith69_AndSaysWhatToTry()
    {
        await using var worker = WorkerProcess.Start(["once", .. Lab, "--Sensor:Kind=Ds18b20"]);

        Assert.Equal(69, await worker.ExitCodeAsync(Within));
        Assert.Contains("✗ sensor DS18B20: NoBus", worker.Output, StringComparison.Ordinal);
    }
}
