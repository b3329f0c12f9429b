using System.Net.NetworkInformation;

namespace LabTelemetry.Core.Device;

/// <summary>The machine's interfaces, as the OS reports them (on Linux, from <c>/sys/class/net</c>).</summary>
public static class SystemNetworkInterfaces
{
    public static IReadOnlyList<NetworkInterfaceInfo> List() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Select(nic => new NetworkInterfaceInfo(
                nic.Name,
                nic.OperationalStatus == OperationalStatus.Up,
                nic.NetworkInterfaceType == NetworkInterfaceType.Loopback,
                nic.GetPhysicalAddress().GetAddressBytes()))
            .ToList();
}
