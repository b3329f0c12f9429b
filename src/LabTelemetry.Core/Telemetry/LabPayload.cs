using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LabTelemetry.Core.Telemetry;

/// <summary>The lab's exact JSON: <c>{"temperature": 21.5, "students": ["Иванов И.И"], "group": "БАГ-18-01"}</c>.</summary>
public static class LabPayload
{
    // Relaxed escaping keeps Cyrillic as is (not \u0418...); quotes, backslashes and control characters are still escaped.
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The payload's bytes: UTF-8, Cyrillic as is.</summary>
    public static byte[] Serialize(double celsius, IReadOnlyList<string> students, string group, int decimals) =>
        Encoding.UTF8.GetBytes(ToJson(celsius, students, group, decimals));

    // By hand rather than by a serializer, so that the bytes match the course's example: the grader answers only
    // payloads of exactly this shape, and this spacing is what Python's json.dumps writes.
    public static string ToJson(double celsius, IReadOnlyList<string> students, string group, int decimals)
    {
        var json = new StringBuilder(64 + (students.Count * 24));
        json.Append("{\"temperature\": ").Append(FormatTemperature(celsius, decimals));
        json.Append(", \"students\": [");
        for (int i = 0; i < students.Count; i++)
        {
            json.Append(i == 0 ? "\"" : ", \"").Append(JsonEncodedText.Encode(students[i], Encoder).Value).Append('"');
        }

        json.Append("], \"group\": \"").Append(JsonEncodedText.Encode(group, Encoder).Value).Append("\"}");
        return json.ToString();
    }

    /// <summary>Rounds half away from zero, as people do, and always writes the decimals (21.0, not 21).</summary>
    public static string FormatTemperature(double celsius, int decimals)
    {
        // Adding +0.0 turns the -0.0 that rounding -0.04 gives into 0.0, so no "-0.0" reaches the grader.
        double rounded = Math.Round(celsius, decimals, MidpointRounding.AwayFromZero) + 0.0;
        return rounded.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
