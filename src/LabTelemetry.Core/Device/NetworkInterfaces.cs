using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace LabTelemetry.Core.Device;

/// <summary>The machine's interfaces as the OS reports them (on Linux, from <c>/sys/class/net</c> and netlink): the one reader of them.</summary>
public static class NetworkInterfaces
{
    /// <summary>Every interface, with what device identity needs to choose one: its permanent MAC where it has one.</summary>
    public static IReadOnlyList<NetworkInterfaceInfo> List() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Select(nic => new NetworkInterfaceInfo(
                nic.Name,
                nic.OperationalStatus == OperationalStatus.Up,
                nic.NetworkInterfaceType == NetworkInterfaceType.Loopback,
                PermanentAddress.Choose(PermanentAddress.Read(nic.Name), nic.GetPhysicalAddress().GetAddressBytes())))
            .ToList();

    /// <summary>What one interface looks like now: up or down, its addresses and the MAC it really uses.</summary>
    public static NetworkState State(string interfaceName, MacFormat macFormat)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == interfaceName);
        if (nic is null)
        {
            return new NetworkState(interfaceName, false, false, string.Empty, string.Empty);
        }

        var addresses = nic.GetIPProperties().UnicastAddresses
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork || (a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal))
            .Select(a => a.ToString());
        return new NetworkState(
            interfaceName,
            true,
            nic.OperationalStatus == OperationalStatus.Up,
            string.Join(", ", addresses),
            MacAddress.Format(nic.GetPhysicalAddress().GetAddressBytes(), macFormat));
    }
}

/// <summary>What device identity needs to know of one network interface.</summary>
public sealed record NetworkInterfaceInfo(string Name, bool IsUp, bool IsLoopback, byte[] Address);

/// <summary>One interface as it is now.</summary>
public sealed record NetworkState(string Interface, bool Exists, bool IsUp, string Addresses, string Mac);
