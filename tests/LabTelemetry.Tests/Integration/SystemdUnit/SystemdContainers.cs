namespace LabTelemetry.Tests.Integration.SystemdUnit;

/// <summary>The tests that boot containers share one fixture and run one class at a time: each boots its own.</summary>
[CollectionDefinition(Name)]
public sealed class SystemdContainers : ICollectionFixture<SystemdUnitFixture>
{
    public const string Name = "systemd containers";
}
