using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The builds deploy/publish.sh makes, run as the Pi runs them: with the real DS18B20 driver over a fake w1 sysfs,
/// the linux-x64 build here and the linux-arm64 build under qemu-aarch64-static. <c>.ci/run</c> publishes both and
/// names them in <c>LABTELEMETRY_PUBLISHED_BUILD</c> and <c>LABTELEMETRY_ARM64_BUILD</c>; without them these skip.
/// </summary>
public sealed class PublishedBuildTests
{
    private const string Thermometer = "28-00000a1b2c3d";
    private const string Emulator = "/usr/bin/qemu-aarch64-static";

    [SkippableFact]
    public async Task PublishedBuild_ReadsTheDs18b20_AndPublishesTheLabsPayload()
    {
        string build = Build("LABTELEMETRY_PUBLISHED_BUILD", "deploy/publish.sh --rid linux-x64");
        await AssertDeliversAsync([Path.Combine(build, "LabTelemetry.Worker")], new Dictionary<string, string?>());
    }

    [SkippableFact]
    public async Task Arm64Build_UnderEmulation_ReadsTheDs18b20_AndPublishesTheLabsPayload()
    {
        string build = Build("LABTELEMETRY_ARM64_BUILD", "deploy/publish.sh (linux-arm64)");
        Skip.IfNot(File.Exists(Emulator), $"{Emulator} is missing (Debian's qemu-user-static; .ci/run installs it)");

        // Under qemu-user the JIT's write-xor-execute double mapping only costs time.
        await AssertDeliversAsync([Emulator, Path.Combine(build, "LabTelemetry.Worker")], new Dictionary<string, string?> { ["DOTNET_EnableWriteXorExecute"] = "0" });
    }

    private static string Build(string variable, string how)
    {
        string? build = Environment.GetEnvironmentVariable(variable);
        Skip.If(string.IsNullOrEmpty(build), $"{variable} is not set: .ci/run sets it to the output of {how}");
        Skip.IfNot(FakeW1Sysfs.CanMount, "needs root to mount a fake w1 sysfs in a private mount namespace (CI runs as root)");
        return build!;
    }

    private static async Task AssertDeliversAsync(IReadOnlyList<string> program, IDictionary<string, string?> environment)
    {
        using var sysfs = new FakeW1Sysfs();
        sysfs.SetTemperature(Thermometer, 23125);
        await using var broker = await MosquittoBroker.StartAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        using var outbox = new ScratchDirectory();
        string[] settings = [.. ReliabilityTests.WorkerProcessSettings(broker, outbox.Path), "--Sensor:Kind=Ds18b20", "--Telemetry:Interval=00:00:01"];

        await using var worker = WorkerProcess.StartProgram(sysfs.Wrapper, program, environment, settings);

        Assert.True(
            await Eventually.TrueAsync(() => !grader.Received.IsEmpty, TimeSpan.FromSeconds(90)),
            worker.Output);
        var (topic, payload, _) = grader.Received.First();
        Assert.Equal("DATA/b8:27:eb:12:34:56", topic);
        Assert.Equal("{\"temperature\": 23.1, \"students\": [\"Иванов И.И\"], \"group\": \"БАГ-18-01\"}", payload);
        await worker.TerminateAsync();
        Assert.Equal(0, await worker.ExitCodeAsync(TimeSpan.FromSeconds(60)));
    }
}
