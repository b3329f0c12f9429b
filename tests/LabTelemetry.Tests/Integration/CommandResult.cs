namespace LabTelemetry.Tests.Integration;

/// <summary>What a finished command returned and printed.</summary>
internal sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
{
    public string Output => StandardOutput + StandardError;
}
