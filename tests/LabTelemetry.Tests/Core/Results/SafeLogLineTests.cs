using System.Text;
using LabTelemetry.Core.Results;

namespace LabTelemetry.Tests.Core.Results;

public class SafeLogLineTests
{
    [Fact]
    public void ToLogLine_PlainUtf8_IsKept()
    {
        Assert.Equal("БАГ-18-01: зачтено", SafeLogLine.From(Encoding.UTF8.GetBytes("БАГ-18-01: зачтено"), 100));
    }

    [Fact]
    public void ToLogLine_NewlinesAndAnsiEscapes_CannotForgeALogLine()
    {
        string line = SafeLogLine.From(Encoding.UTF8.GetBytes("ok\n[12:00:00 ERR] fake\r\u001b[31mred\u0000"), 100);

        Assert.Equal("ok\\n[12:00:00 ERR] fake\\r\\u001b[31mred\\u0000", line);
        Assert.DoesNotContain(line, char.IsControl);
    }

    [Fact]
    public void ToLogLine_InvalidUtf8_BecomesReplacementCharacters()
    {
        string line = SafeLogLine.From([0x41, 0xFF, 0xFE, 0x42], 100);

        Assert.Equal("A\uFFFD\uFFFDB", line);
    }

    [Fact]
    public void ToLogLine_LongPayload_IsCutAndSaysItsSize()
    {
        string line = SafeLogLine.From(new byte[1024 * 1024].Select(_ => (byte)'x').ToArray(), 50);

        Assert.StartsWith(new string('x', 50) + "…", line, StringComparison.Ordinal);
        Assert.Contains("1048576 bytes", line, StringComparison.Ordinal);
        Assert.True(line.Length < 100);
    }

    [Fact]
    public void ToLogLine_Empty_IsEmpty()
    {
        Assert.Equal(string.Empty, SafeLogLine.From([], 50));
    }
}
