using System.Globalization;
using System.Text.RegularExpressions;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration.VirtualPi;

/// <summary>
/// A virtual Raspberry Pi booted by <c>virtualpi.sh</c>: Debian's kernel and a bookworm root under qemu (TCG), whose
/// only way to the test's broker is the Wi-Fi: NetworkManager's station <c>wlan0</c>, an access point inside the guest
/// (hostapd and dnsmasq in namespace <c>ap</c>) and qemu's user network, restricted to <see cref="BrokerAddress"/>,
/// which leads to the broker on this machine's loopback. Each VM runs on a throwaway overlay of the cached image; a
/// boot takes 25-60 s, so a scenario group shares one.
/// </summary>
internal sealed partial class VirtualPi : IAsyncDisposable
{
    /// <summary>The access point's network name and passphrase (guest/setup.sh).</summary>
    public const string Ssid = "LabWiFi";

    public const string Passphrase = "virtual-pi-passphrase";

    /// <summary>Where the guest reaches the host's broker, on port 1883: what every test that runs the worker sets as Mqtt:Host.</summary>
    public const string BrokerAddress = "10.0.2.100";

    /// <summary>The MAC of the first simulated radio, wlan0: the card's own, which names the device.</summary>
    public const string Mac = "02:00:00:00:00:00";

    /// <summary>The DS18B20 on the fake 1-Wire bus of a boot with <c>fakeW1</c>; it reads 23.125 °C.</summary>
    public const string Thermometer = "28-00000a1b2c3d";

    /// <summary>Where <see cref="InstallServiceAsync"/> leaves the shipped provisioning script.</summary>
    public const string ProvisionScript = "/root/labtelemetry/networkmanager/wifi-provision.sh";

    /// <summary>The group and student every scenario's service publishes for.</summary>
    public const string Group = "БАГ-18-01";

    public const string Student = "Иванов И.И";

    /// <summary>The exact payload of a reading of <see cref="Thermometer"/> (23.125 °C, one decimal, rounded half away from zero).</summary>
    public const string ThermometerPayload = """{"temperature": 23.1, "students": ["Иванов И.И"], "group": "БАГ-18-01"}""";

    private readonly ScratchDirectory _state = new();
    private readonly string[] _bootArguments;
    private long _consoleFrom;

    private VirtualPi(int brokerPort, string? build, bool fakeW1, bool apDown)
    {
        _bootArguments =
        [
            "boot", _state.Path, "--broker-port", brokerPort.ToString(CultureInfo.InvariantCulture),
            "--owner", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            .. build is null ? Array.Empty<string>() : ["--build", build],
            .. fakeW1 ? ["--fake-w1"] : Array.Empty<string>(),
            .. apDown ? ["--ap-down"] : Array.Empty<string>(),
        ];
    }

    public static string Script { get; } = RepositoryRoot.File("tests", "LabTelemetry.Tests", "Integration", "VirtualPi", "virtualpi.sh");

    /// <summary>Gets the serial console, which has every boot of this VM: the kernel's lines and the whole journal's.</summary>
    public string ConsolePath => Path.Combine(_state.Path, "console.log");

    /// <summary>Gets how long the last boot took from qemu's start to <c>multi-user.target</c>.</summary>
    public TimeSpan BootTime { get; private set; }

    /// <summary>Gets what virtualpi.sh said while booting (a retried boot says so).</summary>
    public string BootOutput { get; private set; } = string.Empty;

    /// <summary>Why the VM tests cannot run here, or <see langword="null"/> when they can.</summary>
    /// <param name="build">The published build the test installs, or <see langword="null"/> when it needs none.</param>
    public static string? SkipReason(string? build)
    {
        // The guest runs the published build, not this runtime: one leg is enough, and the two would share two cores.
        if (Environment.Version.Major < 10)
        {
            return "runs on the net10.0 leg only: the guest runs the published NativeAOT build, not the runtime the tests run on";
        }

        if (Environment.UserName != "root")
        {
            return "needs root to build the image and boot qemu (CI runs as root)";
        }

        foreach (var (tool, package) in (ReadOnlySpan<(string, string)>)[("qemu-system-x86_64", "qemu-system-x86"), ("qemu-img", "qemu-utils"), ("socat", "socat"), ("debootstrap", "debootstrap"), ("mkfs.ext4", "e2fsprogs")])
        {
            if (!OnPath(tool))
            {
                return $"{tool} is missing (Debian's {package}; .ci/run installs it)";
            }
        }

        if (build is not null && (!File.Exists(Path.Combine(build, "install.sh")) || !File.Exists(Path.Combine(build, "LabTelemetry.Worker"))))
        {
            return $"{build} holds no install.sh and NativeAOT LabTelemetry.Worker: make it with deploy/publish.sh --rid linux-x64";
        }

        return null;
    }

    /// <summary>Builds the image when it is not cached yet (1-2 minutes), and says what went wrong if it could not.</summary>
    public static async Task<string?> ImageProblemAsync()
    {
        var image = await HostCommand.RunAsync(Script, ["image"], TimeSpan.FromMinutes(20));
        return image.ExitCode == 0 ? null : $"virtualpi.sh image failed ({image.ExitCode}): {image.Output}";
    }

    /// <summary>Boots a virtual Pi whose broker is the one on 127.0.0.1:<paramref name="brokerPort"/>.</summary>
    /// <param name="brokerPort">The port of the broker on this machine's loopback; the guest sees it at <see cref="BrokerAddress"/>:1883.</param>
    /// <param name="build">The folder deploy/publish.sh made, shared read-only at <c>/mnt/build</c> for <see cref="InstallServiceAsync"/>.</param>
    /// <param name="fakeW1">Whether the guest gets a 1-Wire bus with <see cref="Thermometer"/> (at every boot, before the service).</param>
    /// <param name="apDown">Whether the access point stays off at boot (<see cref="AccessPointAsync"/> turns it on).</param>
    public static async Task<VirtualPi> BootAsync(int brokerPort, string? build = null, bool fakeW1 = false, bool apDown = false)
    {
        var pi = new VirtualPi(brokerPort, build, fakeW1, apDown);
        try
        {
            await pi.BootAgainAsync();
        }
        catch
        {
            await pi.DisposeAsync();
            throw;
        }

        return pi;
    }

    /// <summary>Boots this VM's own disk again, after <see cref="PowerCutAsync"/> or <see cref="StopAsync"/>, with the same options.</summary>
    public async Task BootAgainAsync()
    {
        _consoleFrom = File.Exists(ConsolePath) ? new FileInfo(ConsolePath).Length : 0;

        // Two boots at most (virtualpi.sh retries a slow one once), each allowed 180 s.
        var boot = await HostCommand.RunAsync(Script, _bootArguments, TimeSpan.FromMinutes(7));
        BootOutput = boot.Output;
        if (boot.ExitCode != 0)
        {
            throw new InvalidOperationException($"virtualpi.sh boot failed ({boot.ExitCode}): {boot.Output}");
        }

        var reached = ReachedAfter().Match(boot.StandardOutput);
        BootTime = reached.Success ? TimeSpan.FromSeconds(double.Parse(reached.Groups[1].Value, CultureInfo.InvariantCulture)) : TimeSpan.Zero;
    }

    /// <summary>Runs a bash script as root inside; killed (and ended inside) past <paramref name="within"/>.</summary>
    public Task<CommandResult> RunAsync(string script, TimeSpan? within = null) =>
        HostCommand.RunAsync(Script, ["exec", _state.Path, "bash", "-c", script], within ?? TimeSpan.FromSeconds(60));

    /// <summary>Starts a bash script inside without waiting for it; its output is read as it comes.</summary>
    public RunningCommand Start(string script) => RunningCommand.Start(Script, ["exec", _state.Path, "bash", "-c", script]);

    /// <summary>Installs the build shared at boot as users do: the folder copied over, its <c>install.sh</c> run as root.</summary>
    public Task<CommandResult> InstallServiceAsync() => HostCommand.RunAsync(Script, ["install", _state.Path], TimeSpan.FromMinutes(2));

    /// <summary>Provisions the Wi-Fi as README says, with the installed wifi-provision.sh: the passphrase in a root-only file, never on its command line.</summary>
    /// <param name="passphrase">What the file holds; the access point's own unless the test wants a wrong one.</param>
    /// <param name="options">More of the script's options (<c>--country DE</c>).</param>
    public async Task<CommandResult> ProvisionWifiAsync(string passphrase = Passphrase, string options = "")
    {
        var write = await RunAsync($"umask 077 && printf '%s\\n' '{passphrase}' > /root/psk");
        return write.ExitCode != 0
            ? write
            : await RunAsync($"{ProvisionScript} --ssid {Ssid} --psk-file /root/psk {options}", TimeSpan.FromMinutes(2));
    }

    /// <summary>
    /// Writes the installed service's settings and restarts it: the broker overridden (the shipped file names the lab's),
    /// the fake bus's thermometer, a reading a second, and MQTT 5, so that each reading carries its sequence number.
    /// </summary>
    public Task<CommandResult> ConfigureServiceAsync() => RunAsync($$"""
        set -e
        cat > /etc/labtelemetry/appsettings.json <<'JSON'
        {
          "Mqtt": { "Host": "{{BrokerAddress}}", "ProtocolVersion": "5" },
          "Sensor": { "Id": "{{Thermometer}}" },
          "Telemetry": { "Interval": "00:00:01", "Group": "{{Group}}", "Students": ["{{Student}}"] }
        }
        JSON
        systemctl restart labtelemetry
        """);

    /// <summary>The guest's monotonic time a console line was written at (its <c>[  78.29]</c>), or <see langword="null"/>.</summary>
    public static double? ConsoleSeconds(string line)
    {
        var stamp = ConsoleStamp().Match(line);
        return stamp.Success ? double.Parse(stamp.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Turns the access point (hostapd) on or off: the Wi-Fi back or gone, as the station sees it.</summary>
    public Task<CommandResult> AccessPointAsync(bool on) => RunAsync($"systemctl {(on ? "start" : "stop")} virtualpi-ap.service");

    /// <summary>Turns the access point's DHCP server (dnsmasq) on or off; associating still works without it.</summary>
    public Task<CommandResult> DhcpAsync(bool on) => RunAsync($"systemctl {(on ? "start" : "stop")} virtualpi-dhcp.service");

    /// <summary>Gets the journal since this boot, of one unit or all, as a person reads it.</summary>
    public async Task<string> JournalAsync(string? unit = null)
    {
        var journal = await RunAsync($"journalctl -b --no-pager -o short-monotonic {(unit is null ? string.Empty : $"-u {unit}")}");
        return journal.Output;
    }

    /// <summary>Gets the console's lines since the last boot began: the kernel's, then the journal's as journald forwards them.</summary>
    public IReadOnlyList<string> ConsoleLines()
    {
        if (!File.Exists(ConsolePath))
        {
            return [];
        }

        using var stream = new FileStream(ConsolePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(_consoleFrom, stream.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Length > 0).ToList();
    }

    /// <summary>Waits for a console line of this boot that matches; returns it, or <see langword="null"/>.</summary>
    public async Task<string?> WaitForConsoleLineAsync(Func<string, bool> match, TimeSpan within)
    {
        string? found = null;
        await Eventually.TrueAsync(() => (found = ConsoleLines().FirstOrDefault(match)) is not null, within);
        return found;
    }

    /// <summary>Powers it off cleanly (<c>systemctl poweroff</c>) and waits until qemu has exited; fails if it had to be killed.</summary>
    public async Task StopAsync()
    {
        var stop = await HostCommand.RunAsync(Script, ["stop", _state.Path], TimeSpan.FromMinutes(2));
        if (stop.ExitCode != 0)
        {
            throw new InvalidOperationException($"virtualpi.sh stop failed ({stop.ExitCode}): {stop.Output}");
        }
    }

    /// <summary>Kills qemu: a power cut as the guest sees it, its page cache gone; <see cref="BootAgainAsync"/> boots the same disk.</summary>
    public async Task PowerCutAsync()
    {
        var kill = await HostCommand.RunAsync(Script, ["kill", _state.Path], TimeSpan.FromSeconds(30));
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"virtualpi.sh kill failed ({kill.ExitCode}): {kill.Output}");
        }
    }

    /// <summary>Kills the VM if it still runs (a throwaway needs no clean shutdown) and removes its disk.</summary>
    public async ValueTask DisposeAsync()
    {
        await HostCommand.RunAsync(Script, ["kill", _state.Path], TimeSpan.FromSeconds(30));
        _state.Dispose();
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Append("/usr/sbin")
            .Any(directory => File.Exists(Path.Combine(directory, tool)));

    [GeneratedRegex(@"^\[\s*([0-9]+\.[0-9]+)\]")]
    private static partial Regex ConsoleStamp();

    [GeneratedRegex(@"multi-user\.target reached ([0-9.]+) s after qemu started")]
    private static partial Regex ReachedAfter();
}
