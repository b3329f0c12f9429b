using LabTelemetry.Core.Device;

namespace LabTelemetry.Tests.Core.Device;

public class TopicTemplateTests
{
    [Fact]
    public void Expand_DefaultTemplate_PutsTheMacAfterData()
    {
        Assert.Equal("DATA/b8:27:eb:12:34:56", TopicTemplate.Expand("DATA/{mac}", "b8:27:eb:12:34:56"));
    }

    [Fact]
    public void Expand_TemplateWithoutPlaceholder_IsUsedAsIs()
    {
        Assert.Equal("lab/room1", TopicTemplate.Expand("lab/room1", "b8:27:eb:12:34:56"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("DATA/#")]
    [InlineData("DATA/+/x")]
    public void Problem_EmptyOrWildcardTopic_IsReported(string template)
    {
        Assert.NotNull(TopicTemplate.Problem(template));
    }

    [Fact]
    public void Problem_DefaultTemplate_IsNone()
    {
        Assert.Null(TopicTemplate.Problem("DATA/{mac}"));
    }
}
