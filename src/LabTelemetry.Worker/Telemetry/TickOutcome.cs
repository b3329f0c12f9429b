namespace LabTelemetry.Worker.Telemetry;

/// <summary>What one tick of the publish loop did.</summary>
internal enum TickOutcome
{
    Published,
    SkippedStale,
    NotDelivered,
}
