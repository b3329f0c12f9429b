using System.Globalization;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// How a segment file is named: <c>outbox-0000000000000000042.log</c> after its first sequence number, <c>-1</c> before
/// the <c>.log</c> when a file not ours had the plain name, and <c>.new</c> after it while it is made.
/// </summary>
internal static class SegmentName
{
    private const string Prefix = "outbox-";
    private const string Suffix = ".log";
    private const int Digits = 19;
    private const string UnfinishedSuffix = ".new";

    public static string For(long firstSequence, int variant = 0) =>
        Prefix + firstSequence.ToString("D19", CultureInfo.InvariantCulture)
        + (variant == 0 ? string.Empty : "-" + variant.ToString(CultureInfo.InvariantCulture)) + Suffix;

    /// <summary>The name of the segment <paramref name="name"/> while it is being made.</summary>
    public static string Unfinished(string name) => name + UnfinishedSuffix;

    /// <summary>Whether <paramref name="fileName"/> is a segment that was being made when the process or the power stopped: it never held a reading.</summary>
    public static bool IsUnfinished(string fileName) =>
        fileName.EndsWith(UnfinishedSuffix, StringComparison.Ordinal) && TryParse(fileName[..^UnfinishedSuffix.Length], out _);

    /// <summary>Reads the first sequence from a segment's name; <see langword="false"/> when it is no such name.</summary>
    public static bool TryParse(string fileName, out long firstSequence)
    {
        firstSequence = 0;
        if (!fileName.StartsWith(Prefix, StringComparison.Ordinal) || !fileName.EndsWith(Suffix, StringComparison.Ordinal) || fileName.Length < Prefix.Length + Digits + Suffix.Length)
        {
            return false;
        }

        var variant = fileName.AsSpan(Prefix.Length + Digits, fileName.Length - Prefix.Length - Digits - Suffix.Length);
        return long.TryParse(fileName.AsSpan(Prefix.Length, Digits), NumberStyles.None, CultureInfo.InvariantCulture, out firstSequence)
            && firstSequence > 0
            && (variant.IsEmpty || (variant[0] == '-' && int.TryParse(variant[1..], NumberStyles.None, CultureInfo.InvariantCulture, out _)));
    }
}
