using LabTelemetry.Core.Device;

namespace LabTelemetry.Tests.Core.Device;

public class MacAddressTests
{
    private static readonly byte[] PiMac = [0xB8, 0x27, 0xEB, 0x12, 0x34, 0x56];

    [Theory]
    [InlineData(MacFormat.LowerCaseColons, "b8:27:eb:12:34:56")]
    [InlineData(MacFormat.UpperCaseColons, "B8:27:EB:12:34:56")]
    [InlineData(MacFormat.LowerCaseNoSeparator, "b827eb123456")]
    [InlineData(MacFormat.UpperCaseNoSeparator, "B827EB123456")]
    public void Format_WritesEachStyle(MacFormat format, string expected)
    {
        Assert.Equal(expected, MacAddress.Format(PiMac, format));
    }

    [Fact]
    public void Format_Default_MatchesWhatSysClassNetShows()
    {
        Assert.Equal("b8:27:eb:12:34:56", MacAddress.Format(PiMac, new DeviceOptions().MacFormat));
    }
}
