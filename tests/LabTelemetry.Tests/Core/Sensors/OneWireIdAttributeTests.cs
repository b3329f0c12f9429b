using LabTelemetry.Core.Sensors;

namespace LabTelemetry.Tests.Core.Sensors;

public sealed class OneWireIdAttributeTests
{
    [Theory]
    [InlineData("28-00000a1b2c3d")]
    [InlineData("28-00000A1B2C3D")]
    [InlineData("10-0123456789ab")]
    [InlineData("")] // empty means none set
    [InlineData(null)]
    public void AsTheKernelListsIt_IsValid(string? id) => Assert.True(new OneWireIdAttribute().IsValid(id));

    [Theory]
    [InlineData("28-xyz")]
    [InlineData("28-00000a1b2c3")] // one digit short
    [InlineData("28-00000a1b2c3d4")]
    [InlineData("28_00000a1b2c3d")]
    [InlineData("2g-00000a1b2c3d")]
    [InlineData("28-00000a1b2c3g")]
    [InlineData("2800000a1b2c3d")]
    public void AnythingElse_IsNot(string id) => Assert.False(new OneWireIdAttribute().IsValid(id));
}
