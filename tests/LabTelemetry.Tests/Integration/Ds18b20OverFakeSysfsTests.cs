using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>The published worker on a fake w1 sysfs: the real Iot.Device.Bindings driver finds the thermometer, the worker reads it.</summary>
public sealed class Ds18b20OverFakeSysfsTests
{
    private const string Thermometer = "28-00000a1b2c3d";

    private static string[] Settings(MosquittoBroker broker) =>
    [
        $"--Mqtt:Host={MosquittoBroker.Host}",
        $"--Mqtt:Port={broker.Port}",
        "--Sensor:Kind=Ds18b20",
        "--Telemetry:Interval=00:00:00.500",
        "--Telemetry:Group=БАГ-18-01",
        "--Telemetry:Students:0=Иванов И.И",
        "--Device:Id=b8:27:eb:12:34:56",
    ];

    [SkippableFact]
    public async Task Ds18b20_PublishesTheTemperatureFromW1Slave_AndRidesThroughFaults()
    {
        Skip.IfNot(FakeW1Sysfs.CanMount, "needs root to mount a fake w1 sysfs in a private mount namespace (CI runs as root)");
        using var sysfs = new FakeW1Sysfs();
        sysfs.SetTemperature(Thermometer, 23125);
        await using var broker = await MosquittoBroker.StartAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        await using var worker = WorkerProcess.StartWrapped(sysfs.Wrapper, Settings(broker));

        // t=23125 is 23.125 °C, published with one decimal.
        Assert.True(await Eventually.TrueAsync(() => grader.Received.Any(m => m.Payload.StartsWith("{\"temperature\": 23.1,", StringComparison.Ordinal)), TimeSpan.FromSeconds(30)), worker.Output);
        Assert.Contains($"Sensor {Thermometer} reads 23.125 °C", worker.Output, StringComparison.Ordinal);

        // A CRC failure, then the all-zero scratchpad of a stuck data line: each reported once, neither published.
        sysfs.SetW1Slave(Thermometer, "72 01 4b 46 7f ff 0e 10 58 : crc=57 NO\n72 01 4b 46 7f ff 0e 10 58 t=99000\n");
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("CrcError", StringComparison.Ordinal)), worker.Output);
        sysfs.SetW1Slave(Thermometer, "00 00 00 00 00 00 00 00 00 : crc=00 YES\n00 00 00 00 00 00 00 00 00 t=0\n");
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("StuckLow", StringComparison.Ordinal)), worker.Output);

        // The power-on value once is a reset, not a temperature.
        sysfs.SetTemperature(Thermometer, 85000);
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("PowerOnReset", StringComparison.Ordinal)), worker.Output);
        sysfs.SetTemperature(Thermometer, 23250);
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("reads again: 23.25 °C", StringComparison.Ordinal)), worker.Output);

        // Unplugged (the bus is empty), then plugged back with a new reading: recovered without a restart.
        sysfs.Unplug(Thermometer);
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("Missing", StringComparison.Ordinal)), worker.Output);
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("NoThermometer", StringComparison.Ordinal)), worker.Output);
        sysfs.SetTemperature(Thermometer, 23500);
        Assert.True(await Eventually.TrueAsync(() => grader.Received.Any(m => m.Payload.StartsWith("{\"temperature\": 23.5,", StringComparison.Ordinal))), worker.Output);

        Assert.DoesNotContain(grader.Received, m => m.Payload.Contains("\"temperature\": 99.0", StringComparison.Ordinal) || m.Payload.Contains("\"temperature\": 0.0", StringComparison.Ordinal) || m.Payload.Contains("\"temperature\": 85.0", StringComparison.Ordinal));
        Assert.Equal(1, CountOccurrences(worker.Output, "CrcError"));
        Assert.Equal(1, CountOccurrences(worker.Output, "StuckLow"));
        Assert.Equal(1, CountOccurrences(worker.Output, "PowerOnReset"));
    }

    private static int CountOccurrences(string text, string word) => text.Split(word).Length - 1;
}
