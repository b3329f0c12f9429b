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
    /// A message is ours when its topic's last level is our group (<c>RESULT/БАГ-18-01</c>), when it is JSON whose
    /// <c>group</c> field is our group, or, without such a field, when its text names our group as a whole word
    /// (<c>БАГ-18-01: зачтено</c>, but not <c>БАГ-18-010: зачтено</c>).
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

        // A group field decides alone: JSON may write it with \u escapes, and may name other groups elsewhere.
        return JsonGroup(payload) is { } jsonGroup
            ? string.Equals(jsonGroup, group, StringComparison.Ordinal)
            : NamesAsAWhole(Encoding.UTF8.GetString(payload), group);
    }

    // Groups are letters, digits and dashes (БАГ-18-01): one followed or preceded by any of them is a longer group.
    private static bool NamesAsAWhole(string text, string group)
    {
        for (int at = text.IndexOf(group, StringComparison.Ordinal); at >= 0; at = text.IndexOf(group, at + 1, StringComparison.Ordinal))
        {
            int end = at + group.Length;
            if ((at == 0 || !IsGroupChar(text[at - 1])) && (end == text.Length || !IsGroupChar(text[end])))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsGroupChar(char c) => char.IsLetterOrDigit(c) || c == '-';

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
