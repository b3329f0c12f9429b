using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The worker process with the status LED and the thermometer's power pin configured on a machine without a GPIO chip
/// (this one: its kernel has no GPIO subsystem): each pin is one warning, and the readings go out at their pace.
/// </summary>
public sealed class GpioWorkerTests : IAsyncLifetime
{
    private MosquittoBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await MosquittoBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private string[] Settings(params string[] more) =>
    [
        $"--Mqtt:Host={MosquittoBroker.Host}",
        $"--Mqtt:Port={_broker.Port}",
        "--Sensor:Kind=Simulated",
        "--Telemetry:Interval=00:00:01",
        "--Telemetry:Group=БАГ-18-01",
        "--Telemetry:Students:0=Иванов И.И",
        .. more,
    ];

    [SkippableFact]
    public async Task NoGpioChip_BothPinsSet_OneWarningEach_AndPublishingAtPace()
    {
        Skip.If(Directory.GetFiles("/dev", "gpiochip*").Length > 0, "this machine has a GPIO chip: a Pi's test, not this one");
        await using var grader = await TestSubscriber.ConnectAsync(_broker, "DATA/#");
        await using var worker = WorkerProcess.Start(Settings("--Led:Pin=17", "--Sensor:PowerPin=22"));

        Assert.True(await Eventually.TrueAsync(() => grader.Received.Count >= 6, TimeSpan.FromSeconds(60)), worker.Output);
        await worker.TerminateAsync();
        Assert.Equal(0, await worker.ExitCodeAsync(TimeSpan.FromSeconds(30)));

        string[] lines = worker.Output.Split('\n');
        Assert.Single(lines, l => l.Contains("Led:Pin GPIO17 is not used: no GPIO chip can be opened", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("Sensor:PowerPin GPIO22 is not used: no GPIO chip can be opened", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(l => l.Contains("GPIO", StringComparison.Ordinal)));
        // The first reading goes out at start, the next at the schedule's first tick: the pace is counted from that one.
        var at = grader.Received.Select(m => m.At).ToArray()[1..];
        double meanGap = (at[^1] - at[0]).TotalMilliseconds / (at.Length - 1);
        Assert.True(meanGap is > 700 and < 2000, $"{meanGap:0} ms between readings: {string.Join(", ", at.Select(a => a.ToString("ss.fff", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public async Task NeitherPinSet_NothingOfGpioIsSaidOrOpened()
    {
        await using var grader = await TestSubscriber.ConnectAsync(_broker, "DATA/#");
        await using var worker = WorkerProcess.Start(Settings());

        Assert.True(await Eventually.TrueAsync(() => grader.Received.Count >= 3, TimeSpan.FromSeconds(60)), worker.Output);
        string[] open = [.. Directory.GetFiles($"/proc/{worker.Id}/fd").Select(fd => new FileInfo(fd).LinkTarget ?? string.Empty)];
        await worker.TerminateAsync();
        Assert.Equal(0, await worker.ExitCodeAsync(TimeSpan.FromSeconds(30)));

        Assert.DoesNotContain(open, target => target.StartsWith("/dev/gpio", StringComparison.Ordinal));
        Assert.DoesNotContain("GPIO", worker.Output, StringComparison.Ordinal);
    }
}
