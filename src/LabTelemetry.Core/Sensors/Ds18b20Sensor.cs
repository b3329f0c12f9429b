using Iot.Device.OneWire;

namespace LabTelemetry.Core.Sensors;

/// <summary>A DS18B20 read through Iot.Device.Bindings' <see cref="OneWireThermometerDevice"/> (the kernel's w1 sysfs).</summary>
public sealed class Ds18b20Sensor(SensorOptions options, TimeProvider timeProvider) : ITemperatureSensor
{
    private OneWireThermometerDevice? _device;

    public string Name => _device?.DeviceId ?? options.Id ?? "DS18B20";

    public async Task<double> ReadCelsiusAsync(CancellationToken cancellationToken)
    {
        var device = _device ??= Find();
        double celsius;
        try
        {
            // The binding takes no token and may block on sysfs for the 750 ms conversion:
            // run it off the caller's thread and stop waiting after Sensor:ReadTimeout.
            var read = Task.Run(device.ReadTemperatureAsync, CancellationToken.None);
            celsius = (await read.WaitAsync(options.ReadTimeout, timeProvider, cancellationToken).ConfigureAwait(false)).DegreesCelsius;
        }
        catch (TimeoutException ex)
        {
            throw new SensorException(SensorFault.Timeout, $"{device.DeviceId} did not answer within {options.ReadTimeout.TotalSeconds:0.#} s (Sensor:ReadTimeout).", ex);
        }
        catch (IOException ex)
        {
            _device = null; // unplugged: look for it again next time
            throw new SensorException(SensorFault.Missing, $"{device.DeviceId} is gone from the 1-Wire bus ({ex.Message}); check its wiring.", ex);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("Unable to read", StringComparison.Ordinal))
        {
            throw new SensorException(SensorFault.CrcError, $"{device.DeviceId} answered with a CRC error (w1_slave says NO); check the 4.7 kΩ pull-up and the cable.", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new SensorException(SensorFault.ReadFailed, $"{device.DeviceId}: {ex.Message}", ex);
        }

        // 0 °C is also what an all-zero scratchpad decodes to; the binding hides the bytes, so look at them.
        if (celsius == 0 && await IsScratchpadAllZeroAsync(device, cancellationToken).ConfigureAwait(false))
        {
            throw new SensorException(SensorFault.StuckLow, $"{device.DeviceId} returned an all-zero scratchpad: the data line is stuck low; check the wiring.");
        }

        return celsius;
    }

    private OneWireThermometerDevice Find()
    {
        List<OneWireThermometerDevice> found;
        try
        {
            found = OneWireThermometerDevice.EnumerateDevices().ToList();
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new SensorException(SensorFault.NoBus, "No 1-Wire bus in /sys/bus/w1/devices: add dtoverlay=w1-gpio to the boot config and reboot, or set Sensor:Kind=Simulated to run without a sensor.", ex);
        }
        catch (IOException ex)
        {
            throw new SensorException(SensorFault.ReadFailed, $"Cannot list the 1-Wire bus: {ex.Message}", ex);
        }

        string ids = string.Join(", ", found.Select(d => d.DeviceId));
        if (options.Id is { } wanted)
        {
            return found.FirstOrDefault(d => string.Equals(d.DeviceId, wanted, StringComparison.OrdinalIgnoreCase))
                ?? throw new SensorException(SensorFault.Missing, $"Sensor:Id {wanted} is not on the 1-Wire bus (found: {(ids.Length == 0 ? "none" : ids)}).");
        }

        return found.Count switch
        {
            0 => throw new SensorException(SensorFault.NoThermometer, "The 1-Wire bus has no thermometer: check the DS18B20's wiring (data on GPIO4, 4.7 kΩ pull-up to 3.3 V)."),
            1 => found[0],
            _ => throw new SensorException(SensorFault.SeveralThermometers, $"The 1-Wire bus has {found.Count} thermometers ({ids}); choose one with Sensor:Id."),
        };
    }

    private static async Task<bool> IsScratchpadAllZeroAsync(OneWireThermometerDevice device, CancellationToken cancellationToken)
    {
        string path = Path.Combine("/sys/devices", device.BusId, device.DeviceId, "w1_slave");
        try
        {
            return W1SlaveText.Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).IsAllZero;
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return false; // the binding's value stands; the next read looks again
        }
    }
}
