using LabTelemetry.Core.Device;

namespace LabTelemetry.Tests.Core.Device;

public sealed class TopicLevelAttributeTests
{
    [Theory]
    [InlineData("bench-worker")]
    [InlineData("dc:a6:32:01:02:03")]
    [InlineData("Иванов")]
    [InlineData("")] // empty means the MAC
    [InlineData(null)]
    public void OneLevel_IsValid(string? id) => Assert.True(new TopicLevelAttribute().IsValid(id));

    [Theory]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("tab\there")]
    [InlineData("#")]
    [InlineData("dev+1")]
    public void SlashesWildcardsAndSpaces_AreNot(string id) => Assert.False(new TopicLevelAttribute().IsValid(id));
}
