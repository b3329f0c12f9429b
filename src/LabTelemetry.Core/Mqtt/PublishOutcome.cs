namespace LabTelemetry.Core.Mqtt;

/// <summary>What became of one publish: delivered (acknowledged at QoS 1 and 2), or the reason it was not.</summary>
public sealed record PublishOutcome(bool Delivered, string? Problem)
{
    public static readonly PublishOutcome Success = new(true, null);

    public static PublishOutcome Failed(string problem) => new(false, problem);
}
