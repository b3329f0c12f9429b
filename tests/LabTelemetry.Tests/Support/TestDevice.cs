using LabTelemetry.Core.Device;

namespace LabTelemetry.Tests.Support;

/// <summary>A Raspberry Pi whose wlan0 has the MAC b8:27:eb:12:34:56, named as the default configuration names it.</summary>
internal static class TestDevice
{
    public static readonly NetworkInterfaceInfo Wlan0 = new("wlan0", true, false, [0xB8, 0x27, 0xEB, 0x12, 0x34, 0x56]);

    public static readonly DeviceIdentity Pi = DeviceIdentity.Resolve(new DeviceOptions(), null, "DATA/{mac}", "STATUS/{mac}", [Wlan0]);
}
