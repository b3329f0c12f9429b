using LabTelemetry.Core.Configuration;
using LabTelemetry.Core.Device;

namespace LabTelemetry.Tests.Core.Device;

public class DeviceIdentityTests
{
    private static readonly NetworkInterfaceInfo Loopback = new("lo", true, true, []);
    private static readonly NetworkInterfaceInfo Ethernet = new("eth0", true, false, [0xB8, 0x27, 0xEB, 0, 0, 1]);
    private static readonly NetworkInterfaceInfo Wifi = new("wlan0", false, false, [0xB8, 0x27, 0xEB, 0, 0, 2]);

    private static DeviceIdentity Resolve(IReadOnlyList<NetworkInterfaceInfo> interfaces, DeviceOptions? device = null, string? clientId = null, string dataTopic = "DATA/{mac}", string? statusTopic = "STATUS/{mac}") =>
        DeviceIdentity.Resolve(device ?? new(), clientId, dataTopic, statusTopic, interfaces);

    [Fact]
    public void Resolve_ConfiguredInterfaceExists_UsesItEvenWhenDown_AndNamesEverythingAfterItsMac()
    {
        var identity = Resolve([Loopback, Ethernet, Wifi]);

        Assert.Equal(
            new DeviceIdentity("wlan0", "b8:27:eb:00:00:02", "b8:27:eb:00:00:02", "labtelemetry-b827eb000002", "DATA/b8:27:eb:00:00:02", "STATUS/b8:27:eb:00:00:02"),
            identity);
    }

    [Fact]
    public void Resolve_NoWlan0_TakesTheFirstNonLoopbackInterfaceThatIsUp()
    {
        var identity = Resolve([Loopback, new("docker0", false, false, [2, 0, 0, 0, 0, 9]), Ethernet]);

        Assert.Equal("eth0", identity.Interface);
        Assert.Equal("b8:27:eb:00:00:01", identity.Mac);
    }

    [Fact]
    public void Resolve_ExplicitId_ReplacesTheMacInTheTopicsAndTheClientId()
    {
        var identity = Resolve([Ethernet], new DeviceOptions { Id = "bench-7" });

        Assert.Equal("bench-7", identity.Id);
        Assert.Equal("b8:27:eb:00:00:01", identity.Mac);
        Assert.Equal("DATA/bench-7", identity.DataTopic);
        Assert.Equal("STATUS/bench-7", identity.StatusTopic);
        Assert.Equal("labtelemetry-bench-7", identity.ClientId);
    }

    [Fact]
    public void Resolve_ConfiguredClientIdAndTopics_AreTaken()
    {
        var identity = Resolve(
            [Ethernet],
            clientId: "my-pi",
            dataTopic: "lab/{mac}/t",
            statusTopic: null);

        Assert.Equal("my-pi", identity.ClientId);
        Assert.Equal("lab/b8:27:eb:00:00:01/t", identity.DataTopic);
        Assert.Null(identity.StatusTopic);
    }

    [Fact]
    public void Resolve_UpperCaseMacFormat_IsUsedInTheTopic()
    {
        var identity = Resolve([Ethernet], new DeviceOptions { MacFormat = MacFormat.UpperCaseColons });

        Assert.Equal("DATA/B8:27:EB:00:00:01", identity.DataTopic);
        Assert.Equal("labtelemetry-b827eb000001", identity.ClientId);
    }

    [Fact]
    public void Resolve_NoUsableInterface_NamesTheKeysToSet()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Resolve([Loopback]));

        Assert.Contains("Device:Interface", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Device:Id", ex.Message, StringComparison.Ordinal);
        Assert.Contains("lo", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NoUsableInterfaceButExplicitId_UsesTheId()
    {
        var identity = Resolve([Loopback], new DeviceOptions { Id = "pi-1" });

        Assert.Equal("pi-1", identity.Id);
        Assert.Equal("labtelemetry-pi-1", identity.ClientId);
    }
}
