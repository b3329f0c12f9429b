using System.Text;
using LabTelemetry.Core.Results;

namespace LabTelemetry.Tests.Core.Results;

public class ResultMatcherTests
{
    private const string Group = "БАГ-18-01";

    private static bool Concerns(string topic, string payload) => ResultMatcher.ConcernsGroup(topic, Encoding.UTF8.GetBytes(payload), Group);

    [Fact]
    public void ConcernsGroup_TextNamingOurGroup_IsOurs() => Assert.True(Concerns("RESULT", "БАГ-18-01: 5/5"));

    [Fact]
    public void ConcernsGroup_JsonWithOurGroupEscaped_IsOurs() =>
        Assert.True(Concerns("RESULT/", "{\"group\": \"\\u0411\\u0410\\u0413-18-01\", \"ok\": true}"));

    [Fact]
    public void ConcernsGroup_TopicEndingInOurGroup_IsOurs() => Assert.True(Concerns("RESULT/БАГ-18-01", "ok"));

    [Fact]
    public void ConcernsGroup_AnotherGroup_IsNotOurs() => Assert.False(Concerns("RESULT", "{\"group\": \"БАГ-18-02\"}"));

    [Fact]
    public void ConcernsGroup_BinaryPayload_IsNotOurs() =>
        Assert.False(ResultMatcher.ConcernsGroup("RESULT", [0xFF, 0x00, 0x7B], Group));

    [Fact]
    public void ConcernsGroup_DeeplyNestedJson_DoesNotThrow() =>
        Assert.False(Concerns("RESULT", new string('[', 100_000)));

    [Fact]
    public void ConcernsGroup_DeepJsonObject_DoesNotThrow() =>
        Assert.False(Concerns("RESULT", string.Concat(Enumerable.Repeat("{\"a\":", 10_000))));

    [Theory]
    [InlineData("БАГ-18-01: зачтено")]
    [InlineData("Группа БАГ-18-01 — зачтено")]
    [InlineData("зачтено (БАГ-18-01)")]
    [InlineData("зачтено: БАГ-18-01")]
    [InlineData("БАГ-18-01")]
    [InlineData("{\"group\": \"БАГ-18-01\", \"result\": \"зачтено\"}")]
    public void ConcernsGroup_OurGroupAsAWhole_IsOurs(string payload) => Assert.True(Concerns("RESULT", payload));

    [Theory]
    [InlineData("БАГ-18-010: зачтено")]
    [InlineData("БАГ-18-01-2: зачтено")]
    [InlineData("ПБАГ-18-01: зачтено")]
    [InlineData("1БАГ-18-01: зачтено")]
    [InlineData("-БАГ-18-01: зачтено")]
    [InlineData("БАГ-18-01a: зачтено")]
    [InlineData("{\"group\": \"БАГ-18-010\", \"result\": \"зачтено\"}")]
    public void ConcernsGroup_ALongerGroupThatContainsOurs_IsNotOurs(string payload) => Assert.False(Concerns("RESULT", payload));

    [Fact]
    public void ConcernsGroup_JsonWhoseGroupIsAnother_IsNotOurs_EvenWhenItsTextNamesOurs() =>
        Assert.False(Concerns("RESULT", "{\"group\": \"БАГ-18-02\", \"comment\": \"как у БАГ-18-01\"}"));

    [Fact]
    public void ConcernsGroup_OurGroupAmongSeveral_IsOurs() => Assert.True(Concerns("RESULT", "БАГ-18-010, БАГ-18-01: зачтено"));

    [Theory]
    [InlineData("RESULT/БАГ-18-010")]
    [InlineData("RESULT/xБАГ-18-01")]
    public void ConcernsGroup_TopicWhoseLastLevelIsNotExactlyOurGroup_IsNotOurs(string topic) => Assert.False(Concerns(topic, "зачтено"));
}
