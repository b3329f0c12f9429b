using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace LabTelemetry.Core.Device;

/// <summary>What one interface looks like now: up or down, its addresses and the MAC it really uses.</summary>
public sealed record NetworkState(string Interface, bool Exists, bool IsUp, string Addresses, string Mac)
{
    public static NetworkState Read(string interfaceName, MacFormat macFormat)
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
            MacAddressText.Format(nic.GetPhysicalAddress().GetAddressBytes(), macFormat));
    }
}
