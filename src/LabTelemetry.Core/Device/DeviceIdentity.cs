using LabTelemetry.Core.Configuration;

namespace LabTelemetry.Core.Device;

/// <summary>Who this device is on the broker: the interface it speaks through, its MAC and its id.</summary>
/// <param name="Interface">The interface whose MAC was taken.</param>
/// <param name="Mac">The MAC, written as <c>Device:MacFormat</c> says.</param>
/// <param name="Id">What goes into topics and the client id: <c>Device:Id</c> when set, else the MAC.</param>
public sealed record DeviceIdentity(string Interface, string Mac, string Id)
{
    public static DeviceIdentity Resolve(DeviceOptions options, IReadOnlyList<NetworkInterfaceInfo> interfaces)
    {
        var nic = interfaces.FirstOrDefault(n => n.Name == options.Interface)
            ?? interfaces.FirstOrDefault(n => n.IsUp && !n.IsLoopback && n.Address.Length == 6);

        if (nic is null || nic.Address.Length == 0)
        {
            if (!string.IsNullOrEmpty(options.Id))
            {
                return new DeviceIdentity(options.Interface, string.Empty, options.Id);
            }

            string found = interfaces.Count == 0 ? "none" : string.Join(", ", interfaces.Select(n => n.Name));
            throw new ConfigurationException(
                $"Device:Interface: no interface '{options.Interface}' and no other interface that is up has a MAC " +
                $"(found: {found}); name one in Device:Interface, or set Device:Id.");
        }

        string mac = MacAddressText.Format(nic.Address, options.MacFormat);
        return new DeviceIdentity(nic.Name, mac, string.IsNullOrEmpty(options.Id) ? mac : options.Id);
    }
}
