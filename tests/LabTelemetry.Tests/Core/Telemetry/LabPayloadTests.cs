using System.Text;
using System.Text.Json;
using LabTelemetry.Core.Telemetry;

namespace LabTelemetry.Tests.Core.Telemetry;

public class LabPayloadTests
{
    [Fact]
    public void Serialize_TheCoursesExample_IsByteForByteTheSame()
    {
        byte[] payload = LabPayload.Serialize(21.5, ["Иванов И.И"], "БАГ-18-01", decimals: 1);

        byte[] expected = Encoding.UTF8.GetBytes("{\"temperature\": 21.5, \"students\": [\"Иванов И.И\"], \"group\": \"БАГ-18-01\"}");
        Assert.Equal(expected, payload);
    }

    [Fact]
    public void Serialize_Cyrillic_IsWrittenAsUtf8NotEscaped()
    {
        string json = Encoding.UTF8.GetString(LabPayload.Serialize(20, ["Петрова А.А"], "БАГ-18-01", 1));

        Assert.Contains("Петрова А.А", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_HasExactlyTheThreeKeysWithTheirTypes()
    {
        using var document = JsonDocument.Parse(LabPayload.Serialize(23.125, ["A", "B"], "G", 1));

        var root = document.RootElement;
        Assert.Equal(["temperature", "students", "group"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(23.1, root.GetProperty("temperature").GetDouble());
        Assert.Equal(["A", "B"], root.GetProperty("students").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("G", root.GetProperty("group").GetString());
    }

    [Fact]
    public void Serialize_QuotesAndBackslashesInNames_StayValidJson()
    {
        byte[] payload = LabPayload.Serialize(1, ["O\"Brien \\ \n"], "G\"1", 1);

        using var document = JsonDocument.Parse(payload);
        Assert.Equal("O\"Brien \\ \n", document.RootElement.GetProperty("students")[0].GetString());
        Assert.Equal("G\"1", document.RootElement.GetProperty("group").GetString());
    }

    [Theory]
    [InlineData(21.5, 1, "21.5")]
    [InlineData(21.0, 1, "21.0")]
    [InlineData(23.125, 1, "23.1")]
    [InlineData(23.125, 2, "23.13")]
    [InlineData(21.25, 1, "21.3")]
    [InlineData(-10.0625, 1, "-10.1")]
    [InlineData(-0.04, 1, "0.0")]
    [InlineData(21.46, 0, "21")]
    [InlineData(21.4375, 4, "21.4375")]
    public void FormatTemperature_RoundsHalfAwayFromZeroAndKeepsTheDecimals(double celsius, int decimals, string expected)
    {
        Assert.Equal(expected, LabPayload.FormatTemperature(celsius, decimals));
    }
}
