using System.Text;
using System.Text.Json;

namespace LabTelemetry.Core.Results;

/// <summary>Tells whether a RESULT message concerns our group.</summary>
public static class ResultMatcher
{
    // The grader's answers are small; a deeper or larger document is not one of them.
    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 16 };
    private const int MaxJsonBytes = 64 * 1024;

    /// <summary>
    /// A message is ours when its topic's last level is our group (<c>RESULT/БАГ-18-01</c>), when it is
    /// JSON whose <c>group</c> field is our group, or when its text names our group.
    /// </summary>
    public static bool ConcernsGroup(string topic, ReadOnlySpan<byte> payload, string group)
    {
        if (string.IsNullOrEmpty(group))
        {
            return false;
        }

        if (topic.EndsWith("/" + group, StringComparison.Ordinal))
        {
            return true;
        }

        if (payload.Length > MaxJsonBytes)
        {
            return false;
        }

        // JSON may write the group with \u escapes, which a plain text search would miss.
        return Encoding.UTF8.GetString(payload).Contains(group, StringComparison.Ordinal)
            || string.Equals(JsonGroup(payload), group, StringComparison.Ordinal);
    }

    private static string? JsonGroup(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload[0] != (byte)'{')
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(payload.ToArray(), JsonOptions);
            return document.RootElement.TryGetProperty("group", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
