namespace LabTelemetry.Tests.Integration.VirtualPi;

/// <summary>
/// What every VM test needs, checked once: net10.0, root, qemu and the tools, the published build, and the cached
/// image (built here if <c>.ci/run</c> has not, which takes a minute or two once).
/// </summary>
public sealed class VirtualPiFixture : IAsyncLifetime
{
    public string? SkipReason { get; private set; }

    /// <summary>Gets why the image could not be made, when it could not: a failure, not a skip.</summary>
    public string? ImageProblem { get; private set; }

    /// <summary>Gets the folder deploy/publish.sh --rid linux-x64 made, which the guest installs.</summary>
    public string Build { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        string? build = Environment.GetEnvironmentVariable("LABTELEMETRY_PUBLISHED_BUILD");
        SkipReason = string.IsNullOrEmpty(build)
            ? "LABTELEMETRY_PUBLISHED_BUILD is not set: .ci/run sets it to the output of deploy/publish.sh --rid linux-x64"
            : VirtualPi.SkipReason(build);
        if (SkipReason is not null)
        {
            return;
        }

        Build = build!;
        ImageProblem = await VirtualPi.ImageProblemAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// The VM tests, one at a time and after all the others in their run: a guest under TCG wants both cores, and its
/// timings mean something only when it has them. Each class also carries <c>[Trait(Trait, Name)]</c>, by which .ci/run
/// runs the suite on its own, after the rest (whose net8.0 leg would otherwise run beside it).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class VirtualPiSuite : ICollectionFixture<VirtualPiFixture>
{
    public const string Name = "VirtualPi";

    public const string Trait = "Suite";

    /// <summary>Gets a value indicating whether the longer variants run (LABTELEMETRY_VIRTUALPI_LONG=1): longer outages, more of them, more reboots.</summary>
    public static bool LongVariants => Environment.GetEnvironmentVariable("LABTELEMETRY_VIRTUALPI_LONG") == "1";
}
