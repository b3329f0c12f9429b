namespace LabTelemetry.Worker.Demo;

/// <summary>What the course's checker would make of one DATA message: accepted for a group, or why not.</summary>
public sealed record GraderVerdict(bool Accepted, string Reason, string? Group)
{
    public static GraderVerdict Accept(string group) => new(true, "well-formed", group);

    public static GraderVerdict Reject(string reason) => new(false, reason, null);
}
