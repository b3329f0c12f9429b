using System.Globalization;
using System.Text;

namespace LabTelemetry.Core.Results;

/// <summary>
/// Turns any payload into one safe line of text: invalid UTF-8 as U+FFFD, control characters written as <c>\n</c> or
/// <c>\u001b</c> so that no payload can forge a log line, and long payloads cut.
/// </summary>
public static class SafeLogLine
{
    public static string From(ReadOnlySpan<byte> payload, int maxChars)
    {
        // Decode no more than could be shown: 4 bytes per character at most in UTF-8.
        int decodeBytes = Math.Min(payload.Length, maxChars * 4);
        string text = Encoding.UTF8.GetString(payload[..decodeBytes]);

        var line = new StringBuilder(Math.Min(text.Length, maxChars) + 32);
        int shown = 0;
        foreach (char c in text)
        {
            if (shown == maxChars)
            {
                break;
            }

            Append(line, c);
            shown++;
        }

        if (shown < text.Length || decodeBytes < payload.Length)
        {
            line.Append(CultureInfo.InvariantCulture, $"… ({payload.Length} bytes in all)");
        }

        return line.ToString();
    }

    private static void Append(StringBuilder line, char c)
    {
        switch (c)
        {
            case '\n': line.Append("\\n"); break;
            case '\r': line.Append("\\r"); break;
            case '\t': line.Append("\\t"); break;
            case '\\': line.Append("\\\\"); break;
            default:
                if (char.IsControl(c) || c is '\u2028' or '\u2029')
                {
                    line.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                }
                else
                {
                    line.Append(c);
                }

                break;
        }
    }
}
