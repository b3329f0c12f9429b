using System.Text;
using System.Text.RegularExpressions;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.HomeAssistant;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Core.HomeAssistant;

public partial class DiscoveryConfigTests
{
    // Home Assistant's own rule for node and object ids: anything else, and it ignores the topic without a word.
    [GeneratedRegex("^[a-zA-Z0-9_-]+$")]
    private static partial Regex HomeAssistantId();

    [Fact]
    public void NodeId_OfAPi_IsItsMacWithoutColons_WhichHomeAssistantTakes()
    {
        string node = DiscoveryConfig.NodeId(TestDevice.Pi);

        Assert.Equal("b827eb123456", node);
        Assert.Matches(HomeAssistantId(), node);
    }

    [Theory]
    [InlineData("bench-7", "bench-7")]
    [InlineData("b8:27:eb:12:34:56", "b8_27_eb_12_34_56")]
    [InlineData("pi.lab@home", "pi_lab_home")]
    public void NodeId_WithoutAMac_IsDeviceIdMadeValid(string id, string node)
    {
        var device = DeviceIdentity.Resolve(new DeviceOptions { Id = id }, null, "DATA/{mac}", "STATUS/{mac}", []);

        Assert.Equal(node, DiscoveryConfig.NodeId(device));
        Assert.Matches(HomeAssistantId(), DiscoveryConfig.NodeId(device));
    }

    [Fact]
    public void Topic_IsPrefixSensorNodeObjectConfig()
    {
        Assert.Equal("homeassistant/sensor/b827eb123456/temperature/config", DiscoveryConfig.Topic("homeassistant", TestDevice.Pi));
    }

    [Fact]
    public void Payload_DescribesATemperatureSensorReadFromTheLabsPayload_WithAvailability()
    {
        string json = Encoding.UTF8.GetString(DiscoveryConfig.Payload(TestDevice.Pi, TimeSpan.FromSeconds(5), ("online", "offline")));

        Assert.Equal(
            "{\"unique_id\":\"labtelemetry_b827eb123456_temperature\",\"name\":\"Temperature\",\"device_class\":\"temperature\","
            + "\"unit_of_measurement\":\"°C\",\"state_class\":\"measurement\",\"state_topic\":\"DATA/b8:27:eb:12:34:56\","
            + "\"value_template\":\"{{ value_json.temperature }}\",\"availability_topic\":\"STATUS/b8:27:eb:12:34:56\","
            + "\"payload_available\":\"online\",\"payload_not_available\":\"offline\",\"expire_after\":15,"
            + "\"device\":{\"identifiers\":[\"labtelemetry_b827eb123456\"],\"connections\":[[\"mac\",\"b8:27:eb:12:34:56\"]],"
            + "\"name\":\"LabTelemetry b8:27:eb:12:34:56\",\"model\":\"DS18B20 thermometer\",\"manufacturer\":\"LabTelemetry\","
            + $"\"sw_version\":\"{SoftwareVersion.Value}\"}},\"origin\":{{\"name\":\"LabTelemetry\",\"sw_version\":\"{SoftwareVersion.Value}\"}}}}",
            json);
    }

    [Fact]
    public void Payload_WithoutAStatusTopic_HasNoAvailability_AndExpiresAfterThreeIntervalsRoundedUp()
    {
        var device = DeviceIdentity.Resolve(new DeviceOptions(), null, "DATA/{mac}", null, [TestDevice.Wlan0]);

        string json = Encoding.UTF8.GetString(DiscoveryConfig.Payload(device, TimeSpan.FromSeconds(0.5), ("online", "offline")));

        Assert.DoesNotContain("availability", json, StringComparison.Ordinal);
        Assert.Contains("\"expire_after\":2,", json, StringComparison.Ordinal);
    }

    [Fact]
    public void SoftwareVersion_IsTheOneInDirectoryBuildProps()
    {
        string props = File.ReadAllText(RepositoryRoot.File("Directory.Build.props"));

        Assert.Contains($"<Version>{SoftwareVersion.Value}</Version>", props, StringComparison.Ordinal);
    }
}
