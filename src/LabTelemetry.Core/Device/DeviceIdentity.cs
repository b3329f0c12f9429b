using LabTelemetry.Core.Configuration;

namespace LabTelemetry.Core.Device;

/// <summary>Who this device is on the broker, its names made once here and asked for everywhere else.</summary>
/// <param name="Interface">The interface whose MAC was taken.</param>
/// <param name="Mac">The MAC, written as <c>Device:MacFormat</c> says.</param>
/// <param name="Id">Who the device is: <c>Device:Id</c> when set, else the MAC; it names the topics and the client id.</param>
/// <param name="ClientId">The MQTT client id: <c>Mqtt:ClientId</c>, else <c>labtelemetry-</c> and <c>Device:Id</c>, else the MAC's twelve hex digits; the same across restarts.</param>
/// <param name="DataTopic">Where readings go: <c>Telemetry:Topic</c> with the id, <c>DATA/b8:27:eb:12:34:56</c>.</param>
/// <param name="StatusTopic">The retained online/offline status, or <see langword="null"/> when <c>Availability:Topic</c> is empty.</param>
public sealed record DeviceIdentity(string Interface, string Mac, string Id, string ClientId, string DataTopic, string? StatusTopic)
{
    /// <summary>What a client id made here starts with.</summary>
    public const string ClientIdPrefix = "labtelemetry-";

    /// <param name="device">The <c>Device</c> section.</param>
    /// <param name="clientId">An explicit client id (<c>Mqtt:ClientId</c>), or <see langword="null"/> for one made here.</param>
    /// <param name="dataTopic">The readings' topic template (<c>Telemetry:Topic</c>, <c>DATA/{mac}</c>).</param>
    /// <param name="statusTopic">The status topic template (<c>Availability:Topic</c>), or <see langword="null"/> for none.</param>
    /// <param name="interfaces">The machine's network interfaces.</param>
    public static DeviceIdentity Resolve(DeviceOptions device, string? clientId, string dataTopic, string? statusTopic, IReadOnlyList<NetworkInterfaceInfo> interfaces)
    {
        var nic = interfaces.FirstOrDefault(n => n.Name == device.Interface)
            ?? interfaces.FirstOrDefault(n => n.IsUp && !n.IsLoopback && n.Address.Length == 6);

        string name = device.Interface;
        string mac = string.Empty;
        if (nic is not null && nic.Address.Length > 0)
        {
            name = nic.Name;
            mac = MacAddress.Format(nic.Address, device.MacFormat);
        }
        else if (string.IsNullOrEmpty(device.Id))
        {
            string found = interfaces.Count == 0 ? "none" : string.Join(", ", interfaces.Select(n => n.Name));
            throw new ConfigurationException(
                $"Device:Interface: no interface '{device.Interface}' and no other interface that is up has a MAC " +
                $"(found: {found}); name one in Device:Interface, or set Device:Id.");
        }

        string id = string.IsNullOrEmpty(device.Id) ? mac : device.Id;
        return new DeviceIdentity(
            name,
            mac,
            id,
            !string.IsNullOrEmpty(clientId) ? clientId
                : !string.IsNullOrEmpty(device.Id) ? ClientIdPrefix + device.Id
                : ClientIdPrefix + mac.Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant(),
            TopicTemplate.Expand(dataTopic, id),
            statusTopic is null ? null : TopicTemplate.Expand(statusTopic, id));
    }
}
