namespace LabTelemetry.Tests.Integration.SystemdUnit;

/// <summary>
/// What every test under a real systemd needs, checked once: root, the published build, the tools, and the cached
/// container root (built here if <c>.ci/run</c> has not, which takes a couple of minutes once).
/// </summary>
public sealed class SystemdUnitFixture : IAsyncLifetime
{
    private readonly List<Task> _stopping = [];

    public string? SkipReason { get; private set; }

    /// <summary>Gets why the container root could not be made, when it could not: a failure, not a skip.</summary>
    public string? RootProblem { get; private set; }

    public string Build { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        SkipReason = FindSkipReason();
        if (SkipReason is not null)
        {
            return;
        }

        Build = Environment.GetEnvironmentVariable("LABTELEMETRY_PUBLISHED_BUILD")!;
        var root = await HostCommand.RunAsync(SystemdContainer.Script, ["root"], TimeSpan.FromMinutes(15));
        if (root.ExitCode != 0)
        {
            RootProblem = $"container.sh root failed ({root.ExitCode}): {root.Output}";
        }
    }

    /// <summary>Powers a container off in the background, so the next test boots its own meanwhile.</summary>
    internal ValueTask PowerOffLater(SystemdContainer container)
    {
        lock (_stopping)
        {
            _stopping.Add(container.StopAsync());
        }

        return ValueTask.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Task[] stopping;
        lock (_stopping)
        {
            stopping = [.. _stopping];
        }

        await Task.WhenAll(stopping);
    }

    private static string? FindSkipReason()
    {
        // The test drives the published build, not this runtime: one leg is enough.
        if (Environment.Version.Major < 10)
        {
            return "runs on the net10.0 leg only: it tests the published NativeAOT build, not the runtime the tests run on";
        }

        if (Environment.UserName != "root")
        {
            return "needs root to boot a systemd-nspawn container (CI runs as root)";
        }

        string? build = Environment.GetEnvironmentVariable("LABTELEMETRY_PUBLISHED_BUILD");
        if (string.IsNullOrEmpty(build))
        {
            return "LABTELEMETRY_PUBLISHED_BUILD is not set: .ci/run sets it to the output of deploy/publish.sh --rid linux-x64";
        }

        if (!File.Exists(Path.Combine(build, "install.sh")) || !File.Exists(Path.Combine(build, "LabTelemetry.Worker")))
        {
            return $"LABTELEMETRY_PUBLISHED_BUILD={build} holds no install.sh and NativeAOT LabTelemetry.Worker: make it with deploy/publish.sh --rid linux-x64";
        }

        foreach (var (tool, package) in (ReadOnlySpan<(string, string)>)[("systemd-nspawn", "systemd-container"), ("debootstrap", "debootstrap"), ("nsenter", "util-linux"), ("unshare", "util-linux")])
        {
            if (!OnPath(tool))
            {
                return $"{tool} is missing (Debian's {package}; .ci/run installs it)";
            }
        }

        return null;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Append("/usr/sbin")
            .Any(directory => File.Exists(Path.Combine(directory, tool)));
}
