using Iot.Device.OneWire;

namespace LabTelemetry.Tests.Support;

/// <summary>
/// The kernel's w1 sysfs as files in a scratch directory, bind-mounted over <c>/sys/bus</c> and <c>/sys/devices</c>
/// inside a private mount namespace, so the real Iot.Device.Bindings driver finds the thermometer there and the worker
/// reads its <c>w1_slave</c>. Needs root (unshare, mount).
/// The test changes the files from outside while the worker runs: a sensor can fail, vanish and come back.
/// </summary>
internal sealed class FakeW1Sysfs : IDisposable
{
    public const string Bus = "w1_bus_master1";

    // Inside the namespace: the fake trees replace the real ones, then the worker runs as the rest of the arguments.
    private const string MountAndRun = """
        set -e
        mount --bind "$1/bus" /sys/bus
        mount --bind "$1/devices" /sys/devices
        shift
        exec "$@"
        """;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "labtelemetry-w1", Guid.NewGuid().ToString("N"));
    private readonly List<string> _present = [];

    public FakeW1Sysfs()
    {
        Directory.CreateDirectory(Path.Combine(_root, "bus", "w1", "devices", Bus));
        Directory.CreateDirectory(Path.Combine(_root, "devices", Bus));
        WriteSlaves();
    }

    public static bool CanMount => Environment.UserName == "root" && File.Exists("/usr/bin/unshare");

    /// <summary>The command that runs the rest of its arguments with this fake sysfs in place.</summary>
    public IReadOnlyList<string> Wrapper => ["unshare", "--mount", "--propagation", "private", "sh", "-c", MountAndRun, "sh", _root];

    /// <summary>Plugs in a thermometer reading <paramref name="milliCelsius"/>, or sets a present one's reading.</summary>
    public void SetTemperature(string id, int milliCelsius) =>
        SetW1Slave(id, $"72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t={milliCelsius}\n");

    public void SetW1Slave(string id, string text)
    {
        string directory = Path.Combine(_root, "devices", Bus, id);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "w1_slave"), text);
        if (!_present.Contains(id))
        {
            _present.Add(id);
            WriteSlaves();
        }
    }

    /// <summary>Unplugs a thermometer: the kernel drops it from the bus list and removes its directory.</summary>
    public void Unplug(string id)
    {
        _present.Remove(id);
        WriteSlaves();
        Directory.Delete(Path.Combine(_root, "devices", Bus, id), recursive: true);
    }

    /// <summary>Gets a value indicating whether the thermometer's directory is on the bus.</summary>
    public bool Has(string id) => Directory.Exists(Path.Combine(_root, "devices", Bus, id));

    /// <summary>The thermometers as the bus master lists them (<c>w1_master_slaves</c>), for a reader in this process.</summary>
    public IEnumerable<OneWireThermometerDevice> Enumerate() =>
        File.ReadAllLines(Path.Combine(_root, "devices", Bus, "w1_master_slaves"))
            .Where(l => l.StartsWith("28-", StringComparison.Ordinal))
            .Select(id => new OneWireThermometerDevice(Bus, id));

    /// <summary>Reads a file under <c>/sys/devices</c> from this fake tree instead, for a reader in this process.</summary>
    public Task<string> ReadAsync(string sysPath, CancellationToken cancellationToken) =>
        File.ReadAllTextAsync(Path.Combine(_root, "devices", Path.GetRelativePath("/sys/devices", sysPath)), cancellationToken);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // The kernel writes "not found." when the bus has no device.
    private void WriteSlaves() =>
        File.WriteAllText(Path.Combine(_root, "devices", Bus, "w1_master_slaves"), _present.Count == 0 ? "not found.\n" : string.Join("\n", _present) + "\n");
}
