using System.Text;
using LabTelemetry.Worker.Demo;

namespace LabTelemetry.Tests.Worker.Demo;

public class LabPayloadCheckTests
{
    private static GraderVerdict Check(string payload, string topic = "DATA/b8:27:eb:12:34:56") =>
        LabPayloadCheck.Check(topic, Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void Check_TheCoursesExample_IsAcceptedForItsGroup()
    {
        // The course's example byte for byte, which is what the worker publishes (LabPayloadTests holds it to that).
        var verdict = Check("""{"temperature": 21.5, "students": ["Иванов И.И"], "group": "БАГ-18-01"}""");

        Assert.Equal(GraderVerdict.Accept("БАГ-18-01"), verdict);
    }

    [Theory]
    [InlineData("""{"temperature": 21.5, "students": ["A"], "group": "G", "time": 1}""", "unexpected key 'time'")]
    [InlineData("""{"temperature": 21.5, "students": ["A"]}""", "key 'group' is missing")]
    [InlineData("""{"temperature": "21.5", "students": ["A"], "group": "G"}""", "temperature is not a number")]
    [InlineData("""{"temperature": 21.5, "students": [], "group": "G"}""", "students is not a non-empty list")]
    [InlineData("""{"temperature": 21.5, "students": "A", "group": "G"}""", "students is not a non-empty list")]
    [InlineData("""{"temperature": 21.5, "students": ["A", 7], "group": "G"}""", "students has an entry that is not a name")]
    [InlineData("""{"temperature": 21.5, "students": ["A"], "group": ""}""", "group is not a name")]
    [InlineData("""{"temperature": 21.5, "students": ["A"], "group": "G", "group": "H"}""", "a key appears more than once")]
    [InlineData("""[21.5]""", "payload is a JSON array, not an object")]
    [InlineData("""{"temperature": 21.5,""", "payload is not JSON")]
    public void Check_MalformedPayload_IsRejectedWithTheReason(string payload, string reason)
    {
        var verdict = Check(payload);

        Assert.False(verdict.Accepted);
        Assert.StartsWith(reason, verdict.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DATA")]
    [InlineData("DATA/")]
    [InlineData("DATA/a/b")]
    [InlineData("data/b8:27:eb:12:34:56")]
    public void Check_WrongTopic_IsRejected(string topic)
    {
        Assert.StartsWith("topic", Check("""{"temperature": 1, "students": ["A"], "group": "G"}""", topic).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_InvalidUtf8_IsRejected()
    {
        Assert.Equal("payload is not UTF-8", LabPayloadCheck.Check("DATA/x", [0x7B, 0xFF, 0x7D]).Reason);
    }
}
