using LabTelemetry.Core.Configuration;
using LabTelemetry.Core.Device;

namespace LabTelemetry.Tests.Core.Device;

public class DeviceIdentityTests
{
    private static readonly NetworkInterfaceInfo Loopback = new("lo", true, true, []);
    private static readonly NetworkInterfaceInfo Ethernet = new("eth0", true, false, [0xB8, 0x27, 0xEB, 0, 0, 1]);
    private static readonly NetworkInterfaceInfo Wifi = new("wlan0", false, false, [0xB8, 0x27, 0xEB, 0, 0, 2]);

    [Fact]
    public void Resolve_ConfiguredInterfaceExists_UsesItEvenWhenDown()
    {
        var identity = DeviceIdentity.Resolve(new DeviceOptions(), [Loopback, Ethernet, Wifi]);

        Assert.Equal(new DeviceIdentity("wlan0", "b8:27:eb:00:00:02", "b8:27:eb:00:00:02"), identity);
    }

    [Fact]
    public void Resolve_NoWlan0_TakesTheFirstNonLoopbackInterfaceThatIsUp()
    {
        var identity = DeviceIdentity.Resolve(new DeviceOptions(), [Loopback, new("docker0", false, false, [2, 0, 0, 0, 0, 9]), Ethernet]);

        Assert.Equal("eth0", identity.Interface);
        Assert.Equal("b8:27:eb:00:00:01", identity.Mac);
    }

    [Fact]
    public void Resolve_ExplicitId_ReplacesTheMacInTheId()
    {
        var identity = DeviceIdentity.Resolve(new DeviceOptions { Id = "bench-7" }, [Ethernet]);

        Assert.Equal("bench-7", identity.Id);
        Assert.Equal("b8:27:eb:00:00:01", identity.Mac);
    }

    [Fact]
    public void Resolve_NoUsableInterface_NamesTheKeysToSet()
    {
        var ex = Assert.Throws<ConfigurationException>(() => DeviceIdentity.Resolve(new DeviceOptions(), [Loopback]));

        Assert.Contains("Device:Interface", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Device:Id", ex.Message, StringComparison.Ordinal);
        Assert.Contains("lo", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NoUsableInterfaceButExplicitId_UsesTheId()
    {
        var identity = DeviceIdentity.Resolve(new DeviceOptions { Id = "pi-1" }, [Loopback]);

        Assert.Equal("pi-1", identity.Id);
    }
}
