using LabTelemetry.Core.Device;

namespace LabTelemetry.Tests.Core.Device;

public class PermanentAddressTests
{
    private static readonly byte[] Card = [0xB8, 0x27, 0xEB, 0x12, 0x34, 0x56];
    private static readonly byte[] Random = [0xB2, 0xFD, 0xC1, 0x9C, 0x72, 0xC2];

    [Fact]
    public void Choose_CardHasAPermanentAddress_TakesItOverTheRandomisedOne()
    {
        Assert.Equal(Card, PermanentAddress.Choose(Card, Random));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 })]
    public void Choose_NoUsablePermanentAddress_FallsBackToTheAddressInUse(byte[]? permanent)
    {
        Assert.Equal(Random, PermanentAddress.Choose(permanent, Random));
    }

    [SkippableFact]
    public void Read_Loopback_AnswersTheIoctlWithSixZeros()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "SIOCETHTOOL is Linux's");

        Assert.Equal(new byte[6], PermanentAddress.Read("lo"));
    }

    [SkippableFact]
    public void Read_NoSuchInterface_IsNull()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "SIOCETHTOOL is Linux's");

        Assert.Null(PermanentAddress.Read("nosuchif0"));
    }
}
