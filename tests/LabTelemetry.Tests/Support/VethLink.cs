using System.Diagnostics;

namespace LabTelemetry.Tests.Support;

/// <summary>
/// A test host of our own: a network namespace joined to this one by a veth pair on a /30 of 10.231.0.0/16.
/// The worker runs inside it and reaches the broker only over the pair, so a test can take the link down.
/// Needs root and iproute2.
/// </summary>
internal sealed class VethLink : IDisposable
{
    private readonly string _namespace;
    private readonly string _hostSide;

    private VethLink(string suffix, int subnet, string? deviceSide)
    {
        _namespace = "lt-" + suffix;
        _hostSide = "lth" + suffix;
        DeviceSide = deviceSide ?? ("ltd" + suffix);
        HostAddress = $"10.231.{subnet}.1";
        DeviceAddress = $"10.231.{subnet}.2";
    }

    public static bool Possible => Environment.UserName == "root" && File.Exists("/usr/sbin/ip");

    /// <summary>Gets the address of this side, where the broker listens.</summary>
    public string HostAddress { get; }

    /// <summary>Gets the address of the device inside the namespace.</summary>
    public string DeviceAddress { get; }

    /// <summary>Gets the name of the interface inside the namespace (<c>wlan0</c>, when the device should see its Wi-Fi there).</summary>
    public string DeviceSide { get; }

    /// <summary>Gets the command that runs the rest of its arguments inside the namespace.</summary>
    public IReadOnlyList<string> Wrapper => ["ip", "netns", "exec", _namespace];

    /// <param name="deviceSide">The interface's name inside the namespace; its own name when <see langword="null"/>.</param>
    /// <param name="mac">The MAC of the interface inside, when it should be a known one (a Pi's).</param>
    public static VethLink Create(string? deviceSide = null, string? mac = null)
    {
        var link = new VethLink(Guid.NewGuid().ToString("N")[..6], Random.Shared.Next(1, 255), deviceSide);
        string device = "ltd" + link._hostSide[3..];
        Ip("netns", "add", link._namespace);
        Ip("link", "add", link._hostSide, "type", "veth", "peer", "name", device);
        Ip("link", "set", device, "netns", link._namespace);
        if (deviceSide is not null)
        {
            Ip("-n", link._namespace, "link", "set", device, "name", deviceSide);
            device = deviceSide;
        }

        if (mac is not null)
        {
            Ip("-n", link._namespace, "link", "set", device, "address", mac);
        }

        Ip("addr", "add", link.HostAddress + "/30", "dev", link._hostSide);
        Ip("link", "set", link._hostSide, "up");
        Ip("-n", link._namespace, "addr", "add", link.DeviceAddress + "/30", "dev", device);
        Ip("-n", link._namespace, "link", "set", device, "up");
        Ip("-n", link._namespace, "link", "set", "lo", "up");
        return link;
    }

    public void Cut() => Ip("link", "set", _hostSide, "down");

    public void Restore() => Ip("link", "set", _hostSide, "up");

    /// <summary>Takes the device's address away, as a Wi-Fi that lost its association and DHCP lease would.</summary>
    public void RemoveAddress() => Ip("-n", _namespace, "addr", "del", DeviceAddress + "/30", "dev", DeviceSide);

    /// <summary>Gives the device its address back, as DHCP does once the Wi-Fi is associated again.</summary>
    public void AddAddress() => Ip("-n", _namespace, "addr", "add", DeviceAddress + "/30", "dev", DeviceSide);

    public void Dispose()
    {
        Ip("link", "del", _hostSide);
        Ip("netns", "del", _namespace);
    }

    private static void Ip(params string[] args)
    {
        using var ip = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardError = true })!;
        string error = ip.StandardError.ReadToEnd();
        ip.WaitForExit();
        if (ip.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)}: {error}");
        }
    }
}
