namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Where each field of an outbox record lies: <c>magic | body length | body | CRC-32</c>, integers big-endian, the
/// CRC over length and body; the encoder, the reader and the search after damage all read these.
/// </summary>
internal static class RecordLayout
{
    /// <summary>"LTR2".</summary>
    public const uint Magic = 0x4C54_5232;

    /// <summary>The magic's first byte, where a search for the next record after damage stops to look.</summary>
    public const byte MagicFirstByte = (byte)(Magic >> 24);

    public const int MagicOffset = 0;
    public const int LengthOffset = 4;
    public const int SequenceOffset = 8;
    public const int QosOffset = 16;
    public const int TakenAtOffset = 17;
    public const int TopicLengthOffset = 25;
    public const int TopicOffset = 27;

    /// <summary>Magic, length and CRC: what a record has around its body.</summary>
    public const int FrameBytes = 4 + 4 + 4;

    /// <summary>The body before the topic: sequence, QoS, time taken, topic length.</summary>
    public const int BodyHeader = 8 + 1 + 8 + 2;

    /// <summary>The smallest record there is: a frame around an empty topic and payload.</summary>
    public const int MinRecordBytes = FrameBytes + BodyHeader;

    public const int CrcBytes = 4;
}
