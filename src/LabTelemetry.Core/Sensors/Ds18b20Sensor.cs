using Iot.Device.OneWire;

namespace LabTelemetry.Core.Sensors;

/// <summary>
/// A DS18B20 on the kernel's w1 sysfs: found through Iot.Device.Bindings' <see cref="OneWireThermometerDevice"/>, read
/// from its <c>w1_slave</c>. At most one read is in flight, and no caller waits longer than <c>Sensor:ReadTimeout</c>.
/// </summary>
public sealed class Ds18b20Sensor : ITemperatureSensor
{
    private readonly SensorOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Func<IEnumerable<OneWireThermometerDevice>> _enumerate;
    private readonly Func<string, CancellationToken, Task<string>> _readW1Slave;
    private OneWireThermometerDevice? _device;
    private Task<W1SlaveContents>? _read;
    private long _readStarted;

    public Ds18b20Sensor(SensorOptions options, TimeProvider timeProvider)
        : this(options, timeProvider, OneWireThermometerDevice.EnumerateDevices, ReadFile)
    {
    }

    /// <param name="options">The <c>Sensor</c> section.</param>
    /// <param name="timeProvider">Times the wait for a read.</param>
    /// <param name="enumerate">The thermometers on the bus (the binding's, which reads sysfs).</param>
    /// <param name="readW1Slave">Reads a <c>w1_slave</c> file: each read is one temperature conversion.</param>
    internal Ds18b20Sensor(SensorOptions options, TimeProvider timeProvider, Func<IEnumerable<OneWireThermometerDevice>> enumerate, Func<string, CancellationToken, Task<string>> readW1Slave)
    {
        _options = options;
        _timeProvider = timeProvider;
        _enumerate = enumerate;
        _readW1Slave = readW1Slave;
    }

    /// <summary>Reads a sysfs file where it is called: the conversion blocks the read's own thread.</summary>
    internal static Task<string> ReadFile(string path, CancellationToken cancellationToken) => Task.FromResult(File.ReadAllText(path));

    public string Name => _device?.DeviceId ?? (string.IsNullOrEmpty(_options.Id) ? "DS18B20" : _options.Id);

    public async Task<double> ReadCelsiusAsync(CancellationToken cancellationToken)
    {
        // A read blocked in the kernel cannot be cancelled, only no longer waited for; starting another each interval
        // would pile blocked threads up on a bus that is already stuck. So wait for it to return, however long.
        if (_read is { IsCompleted: false })
        {
            throw new SensorException(SensorFault.Hung, $"{Name}: the read started {_timeProvider.GetElapsedTime(_readStarted).TotalSeconds:0} s ago has not returned (the 1-Wire driver is stuck); no other read starts until it does. Check the wiring; a reboot clears a stuck bus.");
        }

        // Off the caller's thread and off the thread pool, which runs on one thread (LabTelemetry.Worker.csproj): sysfs
        // blocks for the 750 ms conversion, and listing the bus can block as long.
        var read = Task.Factory.StartNew(() => ReadW1SlaveAsync(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        _read = read;
        _readStarted = _timeProvider.GetTimestamp();
        W1SlaveContents w1Slave;
        try
        {
            w1Slave = await read.WaitAsync(_options.ReadTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            // Whatever it ends with later is seen by nobody; observe it so it is not reported as unobserved.
            _ = read.ContinueWith(static done => done.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw new SensorException(SensorFault.Timeout, $"{Name} did not answer within {_options.ReadTimeout.TotalSeconds:0.#} s (Sensor:ReadTimeout).", ex);
        }
        catch (IOException ex)
        {
            string id = Name;
            _device = null; // unplugged: look for it again next time
            throw new SensorException(SensorFault.Missing, $"{id} is gone from the 1-Wire bus ({ex.Message}); check its wiring.", ex);
        }
        catch (FormatException ex)
        {
            throw new SensorException(SensorFault.ReadFailed, $"{Name}: {ex.Message}", ex);
        }

        if (!w1Slave.CrcValid)
        {
            throw new SensorException(SensorFault.CrcError, $"{Name} answered with a CRC error (w1_slave says NO); check the 4.7 kΩ pull-up and the cable.");
        }

        // An all-zero scratchpad passes the CRC and decodes to 0 °C; the bytes of this same conversion tell it from a real 0 °C.
        if (w1Slave.IsAllZero)
        {
            throw new SensorException(SensorFault.StuckLow, $"{Name} returned an all-zero scratchpad: the data line is stuck low; check the wiring.");
        }

        return w1Slave.Celsius;
    }

    // One read of w1_slave is one conversion: the temperature, the CRC verdict and the scratchpad bytes all come from it.
    private async Task<W1SlaveContents> ReadW1SlaveAsync(CancellationToken cancellationToken)
    {
        var device = _device ??= Find();
        string path = Path.Combine("/sys/devices", device.BusId, device.DeviceId, "w1_slave");
        return W1SlaveContents.Parse(await _readW1Slave(path, cancellationToken).ConfigureAwait(false));
    }

    private OneWireThermometerDevice Find()
    {
        List<OneWireThermometerDevice> found;
        try
        {
            found = _enumerate().ToList();
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
        if (_options.Id is { Length: > 0 } wanted)
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
}
