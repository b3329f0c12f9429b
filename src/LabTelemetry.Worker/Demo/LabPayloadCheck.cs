using System.Text;
using System.Text.Json;

namespace LabTelemetry.Worker.Demo;

/// <summary>
/// Checks a DATA message as the course's grader does: topic <c>DATA/&lt;mac&gt;</c>, a JSON object of exactly
/// <c>temperature</c>, <c>students</c> and <c>group</c>. The grader answers only what passes: a failure here is silence there.
/// </summary>
public static class LabPayloadCheck
{
    private static readonly string[] Keys = ["temperature", "students", "group"];
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static GraderVerdict Check(string topic, ReadOnlySpan<byte> payload)
    {
        string[] levels = topic.Split('/');
        if (levels.Length != 2 || levels[0] != "DATA" || levels[1].Length == 0)
        {
            return GraderVerdict.Reject($"topic '{topic}' is not DATA/<mac>");
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return GraderVerdict.Reject("payload is not UTF-8");
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return CheckShape(document.RootElement);
        }
        catch (JsonException ex)
        {
            return GraderVerdict.Reject($"payload is not JSON: {ex.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0]}");
        }
    }

    private static GraderVerdict CheckShape(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return GraderVerdict.Reject($"payload is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
        }

        string[] names = root.EnumerateObject().Select(p => p.Name).ToArray();
        if (names.Except(Keys).FirstOrDefault() is { } extra)
        {
            return GraderVerdict.Reject($"unexpected key '{extra}': exactly temperature, students and group are allowed");
        }

        if (Keys.Except(names).FirstOrDefault() is { } missing)
        {
            return GraderVerdict.Reject($"key '{missing}' is missing");
        }

        if (names.Length != Keys.Length)
        {
            return GraderVerdict.Reject("a key appears more than once");
        }

        if (root.GetProperty("temperature").ValueKind != JsonValueKind.Number)
        {
            return GraderVerdict.Reject("temperature is not a number");
        }

        var students = root.GetProperty("students");
        if (students.ValueKind != JsonValueKind.Array || students.GetArrayLength() == 0)
        {
            return GraderVerdict.Reject("students is not a non-empty list");
        }

        if (students.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(s.GetString())))
        {
            return GraderVerdict.Reject("students has an entry that is not a name");
        }

        var group = root.GetProperty("group");
        return group.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(group.GetString())
            ? GraderVerdict.Accept(group.GetString()!)
            : GraderVerdict.Reject("group is not a name");
    }
}
