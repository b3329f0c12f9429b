using System.Text.RegularExpressions;
using Iot.Device.OneWire;
using LabTelemetry.Core.Sensors;

namespace LabTelemetry.Worker.Diagnostics;

/// <summary>The 1-Wire setup, from the boot overlay to a reading from every thermometer on the bus.</summary>
internal static partial class OneWireCheck
{
    private static readonly string[] BootConfigs = ["/boot/firmware/config.txt", "/boot/config.txt"];

    public static async IAsyncEnumerable<CheckLine> RunAsync(SensorOptions options)
    {
        if (options.Kind == SensorKind.Simulated)
        {
            yield return CheckLine.Info("sensor: simulated (Sensor:Kind=Simulated), invented temperatures; no 1-Wire needed");
            yield break;
        }

        yield return Overlay();
        yield return Directory.Exists("/sys/module/w1_therm")
            ? CheckLine.Good("kernel module w1_therm is loaded")
            : CheckLine.Bad("kernel module w1_therm is not loaded", "the w1-gpio overlay loads it at boot; or: sudo modprobe w1-therm");

        List<OneWireThermometerDevice> thermometers;
        string? problem = null;
        try
        {
            thermometers = OneWireThermometerDevice.EnumerateDevices().ToList();
        }
        catch (IOException ex)
        {
            thermometers = [];
            problem = ex.Message;
        }

        if (thermometers.Count == 0)
        {
            yield return CheckLine.Bad($"no thermometer on the 1-Wire bus{(problem is null ? string.Empty : $" ({problem})")}", "check the wiring: data on GPIO4 with a 4.7 kΩ pull-up to 3.3 V");
            yield break;
        }

        foreach (var thermometer in thermometers)
        {
            yield return await ReadAsync(thermometer, options).ConfigureAwait(false);
        }

        if (thermometers.Count > 1 && string.IsNullOrEmpty(options.Id))
        {
            yield return CheckLine.Bad($"{thermometers.Count} thermometers and no Sensor:Id", "set Sensor:Id to the one to publish");
        }
        else if (options.Id is { Length: > 0 } wanted && !thermometers.Any(t => string.Equals(t.DeviceId, wanted, StringComparison.OrdinalIgnoreCase)))
        {
            yield return CheckLine.Bad($"Sensor:Id {wanted} is not on the bus", "set Sensor:Id to one of the thermometers above");
        }
    }

    private static CheckLine Overlay()
    {
        string? config = BootConfigs.FirstOrDefault(File.Exists);
        if (config is null)
        {
            return CheckLine.Bad("no boot config.txt (is this a Raspberry Pi?)", "on a machine without the sensor, set Sensor:Kind=Simulated");
        }

        return W1Overlay().IsMatch(File.ReadAllText(config))
            ? CheckLine.Good($"1-Wire overlay enabled in {config}")
            : CheckLine.Bad($"no dtoverlay=w1-gpio in {config}", "add the line dtoverlay=w1-gpio to it (dtoverlay=w1-gpio,gpiopin=17 for GPIO17) and reboot");
    }

    // Read as the service reads (w1_slave, its CRC verdict and scratchpad), so check fails where the service would.
    private static async Task<CheckLine> ReadAsync(OneWireThermometerDevice thermometer, SensorOptions options)
    {
        const string Fix = "check the wiring and the pull-up; see README, Troubleshooting";
        var sensor = new Ds18b20Sensor(new SensorOptions { Id = thermometer.DeviceId, ReadTimeout = options.ReadTimeout }, TimeProvider.System, () => [thermometer], Ds18b20Sensor.ReadFile);
        double celsius;
        try
        {
            celsius = await sensor.ReadCelsiusAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (SensorException ex)
        {
            // The sensor's messages start with its id already.
            return CheckLine.Bad(ex.Message, Fix);
        }
        catch (UnauthorizedAccessException ex)
        {
            return CheckLine.Bad($"thermometer {thermometer.DeviceId}: {ex.Message}", "run check as root or as the service's user");
        }

        try
        {
            new ReadingValidator(options.MaxRateCelsiusPerSecond, TimeProvider.System).Validate(celsius);
            return CheckLine.Good($"thermometer {thermometer.DeviceId} reads {celsius:0.###} °C");
        }
        catch (SensorException ex)
        {
            return CheckLine.Bad($"thermometer {thermometer.DeviceId}: {ex.Message}", Fix);
        }
    }

    [GeneratedRegex(@"^\s*dtoverlay=w1-gpio([,\s]|$)", RegexOptions.Multiline)]
    private static partial Regex W1Overlay();
}
