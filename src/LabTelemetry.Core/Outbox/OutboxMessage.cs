namespace LabTelemetry.Core.Outbox;

/// <summary>One payload waiting for the broker's acknowledgement, in the order it was produced.</summary>
public sealed record OutboxMessage(long Sequence, string Topic, byte[] Payload, int Qos, DateTimeOffset TakenAt);
