namespace LabTelemetry.Core.Telemetry;

/// <summary>What one tick of the publish loop did.</summary>
internal enum TickOutcome
{
    /// <summary>The reading is in the outbox, on its way to the broker.</summary>
    Queued,

    /// <summary>No valid reading younger than three intervals: nothing sent rather than something stale.</summary>
    SkippedStale,
}
