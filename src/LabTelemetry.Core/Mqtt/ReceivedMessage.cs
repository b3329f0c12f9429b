namespace LabTelemetry.Core.Mqtt;

/// <summary>A message the broker delivered to one of our subscriptions.</summary>
public sealed record ReceivedMessage(string Topic, byte[] Payload);
