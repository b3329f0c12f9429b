namespace LabTelemetry.Worker.Diagnostics;

/// <summary>One line of <c>check</c>: a finding, good (✓), bad (✗, with the fix to try) or just information (·).</summary>
internal sealed record CheckLine(bool? Ok, string Text, string? Fix = null)
{
    public static CheckLine Good(string text) => new(true, text);

    public static CheckLine Bad(string text, string fix) => new(false, text, fix);

    public static CheckLine Info(string text) => new(null, text);

    public override string ToString() => Ok switch
    {
        true => $"✓ {Text}",
        false => $"✗ {Text} — {Fix}",
        null => $"· {Text}",
    };
}
