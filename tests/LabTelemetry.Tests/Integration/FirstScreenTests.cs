using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// What a newcomer sees first: the service (the deployed build in CI) and <c>demo</c>, each on a machine whose wlan0
/// has a MAC (a veth named so in a network namespace of the test's own), say nothing at warning or error level in
/// their first ten seconds, and the first publish comes from the one read made at start.
/// </summary>
public sealed class FirstScreenTests
{
    private static readonly TimeSpan FirstScreen = TimeSpan.FromSeconds(10);

    private static readonly string[] Student = ["--Sensor:Kind=Simulated", "--Telemetry:Group=БАГ-18-01", "--Telemetry:Students:0=Иванов И.И"];

    // Each read at debug level, to count them: the first tick must publish the read made at start, not take a second.
    private const string ReadsShown = "--Serilog:MinimumLevel:Override:LabTelemetry.Core.Sensors.SensorReader=Debug";

    [SkippableFact]
    public async Task Service_InItsFirstTenSeconds_SaysNoWarningNorError_AndPublishesTheReadMadeAtStart()
    {
        Skip.IfNot(VethLink.Possible, "needs root and iproute2 for a network namespace whose wlan0 has a MAC (CI runs as root)");
        using var link = VethLink.Create("wlan0");
        await using var broker = await MosquittoBroker.StartAsync(0, link.HostAddress);
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        await using var worker = WorkerProcess.StartWrapped(link.Wrapper, [$"--Mqtt:Host={link.HostAddress}", $"--Mqtt:Port={broker.Port}", ReadsShown, .. Student]);

        // Ten seconds of the real process's life: what its first screen shows.
        await Task.Delay(FirstScreen);

        Assert.True(grader.Received.Count >= 2, $"{grader.Received.Count} publishes in {FirstScreen}\n{worker.Output}");
        AssertFirstScreenIsClean(worker.Output);
    }

    [SkippableFact]
    public async Task Demo_InItsFirstTenSeconds_SaysNoWarningNorError_AndPublishesTheReadMadeAtStart()
    {
        Skip.IfNot(VethLink.Possible, "needs root and iproute2 for a network namespace whose wlan0 has a MAC (CI runs as root)");
        using var link = VethLink.Create("wlan0");
        await using var worker = WorkerProcess.StartWrapped(link.Wrapper, ["demo", ReadsShown, .. Student]);

        // Ten seconds of the real process's life: what its first screen shows.
        await Task.Delay(FirstScreen);

        Assert.Contains("RESULT for our group", worker.Output, StringComparison.Ordinal);
        AssertFirstScreenIsClean(worker.Output);
    }

    private static void AssertFirstScreenIsClean(string output)
    {
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("Network: wlan0 is up", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(" WRN] ", StringComparison.Ordinal) || l.Contains(" ERR] ", StringComparison.Ordinal) || l.Contains(" FTL] ", StringComparison.Ordinal));

        // The reads before the first publish: the one made at start, which the first tick publishes.
        int firstPublish = Array.FindIndex(lines, l => l.Contains("] Published ", StringComparison.Ordinal));
        Assert.True(firstPublish > 0, $"nothing published\n{output}");
        int reads = lines[..firstPublish].Count(l => l.Contains("] Sensor simulated rea", StringComparison.Ordinal));
        Assert.True(reads == 1, $"{reads} reads before the first publish\n{output}");
    }
}
