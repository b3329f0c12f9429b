namespace LabTelemetry.Core.Outbox;

/// <summary>What <see cref="OutboxRecord.Read"/> found at a place in a segment.</summary>
public enum RecordFrame
{
    /// <summary>A whole record whose CRC holds.</summary>
    Record,

    /// <summary>Zeros: the preallocated space after the last record.</summary>
    End,

    /// <summary>A record cut short (the power went while it was written), or bytes that are no record.</summary>
    Damaged,
}
