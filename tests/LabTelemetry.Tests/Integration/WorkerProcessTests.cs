using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>What a person sees when starting the worker: exit codes, error lines, the journal's priority prefixes.</summary>
public sealed class WorkerProcessTests
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(30);

    private static string[] Settings(MosquittoBroker broker, params string[] more) =>
    [
        $"--Mqtt:Host={MosquittoBroker.Host}",
        $"--Mqtt:Port={broker.Port}",
        "--Sensor:Kind=Simulated",
        "--Telemetry:Interval=00:00:01",
        "--Telemetry:Group=БАГ-18-01",
        "--Telemetry:Students:0=Иванов И.И",
        .. more,
    ];

    [Fact]
    public async Task EmptyGroup_ExitsWith78_AndOneLineNamingTheKey()
    {
        await using var worker = WorkerProcess.Start("--Sensor:Kind=Simulated", "--Telemetry:Students:0=Иванов И.И");

        Assert.Equal(78, await worker.ExitCodeAsync(ExitWithin));
        string output = worker.Output.Trim();
        Assert.Equal("labtelemetry: configuration error: Telemetry:Group is empty; set it to your group as the grader knows it (for example БАГ-18-01).", output);
    }

    [Fact]
    public async Task Qos2_ExitsWith78_AndOneLineSayingWhyAndWhatToUse()
    {
        await using var worker = WorkerProcess.Start("--Sensor:Kind=Simulated", "--Telemetry:Group=G", "--Telemetry:Students:0=S", "--Telemetry:Qos=2");

        Assert.Equal(78, await worker.ExitCodeAsync(ExitWithin));
        Assert.Equal("labtelemetry: configuration error: Telemetry:Qos is 2 (exactly once), which this worker cannot keep: a reading whose acknowledgement times out is published again as a new message after reconnecting, so it may arrive twice; use 1 (at least once, the default) or 0.", worker.Output.Trim());
    }

    [Fact]
    public async Task InvalidEnvironmentVariable_ExitsWith78_NamingTheKey()
    {
        await using var worker = WorkerProcess.Start(
            new Dictionary<string, string?> { ["LABTELEMETRY_Mqtt__Port"] = "99999" },
            "--Sensor:Kind=Simulated", "--Telemetry:Group=G", "--Telemetry:Students:0=S");

        Assert.Equal(78, await worker.ExitCodeAsync(ExitWithin));
        Assert.Contains("Mqtt:Port must be between 1 and 65535", worker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_EndsTheServiceWithExitCode0()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var worker = WorkerProcess.Start(Settings(broker));
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("Published", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), worker.Output);

        await worker.TerminateAsync();

        Assert.Equal(0, await worker.ExitCodeAsync(ExitWithin));
        Assert.Contains("we are stopping", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnderJournald_EachLineCarriesItsSyslogPriority()
    {
        await using var worker = WorkerProcess.Start(
            new Dictionary<string, string?> { ["JOURNAL_STREAM"] = "8:12345" },
            "--Sensor:Kind=Simulated", "--Telemetry:Group=G", "--Telemetry:Students:0=S", "--Mqtt:Host=127.0.0.1", "--Mqtt:Port=1", "--Telemetry:Interval=00:00:00.200");
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("Connecting to 127.0.0.1:1 failed", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), worker.Output);

        await worker.TerminateAsync();
        await worker.ExitCodeAsync(ExitWithin);

        var lines = worker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("<6>Connecting to 127.0.0.1:1 as", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("<4>Connecting to 127.0.0.1:1 failed (attempt 1)", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches("^<[0-7]>", l));
    }

    [Fact]
    public async Task ConfigurationError_UnderJournald_IsLoggedAtPriorityErr()
    {
        await using var worker = WorkerProcess.Start(
            new Dictionary<string, string?> { ["JOURNAL_STREAM"] = "8:12345" },
            "--Sensor:Kind=Simulated", "--Telemetry:Students:0=Иванов И.И");

        Assert.Equal(78, await worker.ExitCodeAsync(ExitWithin));
        Assert.StartsWith("<3>labtelemetry: configuration error: Telemetry:Group is empty", worker.Output.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sighup_IsAnsweredWithHowToApplyAChange_AndTheServiceGoesOn()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var worker = WorkerProcess.Start(Settings(broker));
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("Published", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), worker.Output);

        await worker.SignalAsync("HUP");

        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("SIGHUP: the configuration is read at start only", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), worker.Output);
        int published = Count(worker.Output, "Published");
        Assert.True(await Eventually.TrueAsync(() => Count(worker.Output, "Published") > published + 1, TimeSpan.FromSeconds(30)), worker.Output);
        await worker.TerminateAsync();
        Assert.Equal(0, await worker.ExitCodeAsync(ExitWithin));
    }

    private static int Count(string text, string what) => text.Split(what).Length - 1;
}
