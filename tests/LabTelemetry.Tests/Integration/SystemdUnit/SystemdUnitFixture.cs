namespace LabTelemetry.Tests.Integration.SystemdUnit;

/// <summary>
/// What every test under a real systemd needs, checked once: root, the packages and the published build, the tools,
/// and the cached container root (built here if <c>.ci/run</c> has not, which takes a couple of minutes once). The
/// packages and the build are staged in one folder, which each container sees read-only at /mnt/build.
/// </summary>
public sealed class SystemdUnitFixture : IAsyncLifetime
{
    private readonly List<Task> _stopping = [];

    public string? SkipReason { get; private set; }

    /// <summary>Gets why the container root could not be made, when it could not: a failure, not a skip.</summary>
    public string? RootProblem { get; private set; }

    /// <summary>Gets the folder bound at /mnt/build: the package, next/ the next version's, published/ the build.</summary>
    /// <remarks>Not a ScratchDirectory: the fixture outlives every test, and xUnit disposes it through IAsyncLifetime.</remarks>
    public string Packages { get; } = Path.Combine(Path.GetTempPath(), "labtelemetry-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Gets the version of the package (deploy/package.sh --arch amd64).</summary>
    public string Version { get; private set; } = string.Empty;

    /// <summary>Gets the version of the package to upgrade to.</summary>
    public string NextVersion { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        SkipReason = FindSkipReason();
        if (SkipReason is not null)
        {
            return;
        }

        Version = Stage(Environment.GetEnvironmentVariable("LABTELEMETRY_PACKAGE")!, Packages);
        NextVersion = Stage(Environment.GetEnvironmentVariable("LABTELEMETRY_NEXT_PACKAGE")!, Path.Combine(Packages, "next"));
        CopyFolder(Environment.GetEnvironmentVariable("LABTELEMETRY_PUBLISHED_BUILD")!, Path.Combine(Packages, "published"));

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
        if (Directory.Exists(Packages))
        {
            Directory.Delete(Packages, recursive: true);
        }
    }

    // labtelemetry_<version>_amd64.deb, copied under its own name: apt installs ./labtelemetry_*_amd64.deb.
    private static string Stage(string package, string folder)
    {
        Directory.CreateDirectory(folder);
        File.Copy(package, Path.Combine(folder, Path.GetFileName(package)));
        return Path.GetFileName(package).Split('_')[1];
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories).Prepend(from))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(to, Path.GetRelativePath(from, file));
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, File.GetUnixFileMode(file));
        }
    }

    private static string? FindSkipReason()
    {
        // The test drives the published NativeAOT build, not this runtime: one leg is enough.
        if (Environment.Version.Major < 10)
        {
            return "runs on the net10.0 leg only: it tests the published NativeAOT build, not the runtime the tests run on";
        }

        if (Environment.UserName != "root")
        {
            return "needs root to boot a systemd-nspawn container (CI runs as root)";
        }

        foreach (var (variable, what) in (ReadOnlySpan<(string, string)>)[
            ("LABTELEMETRY_PACKAGE", "the package deploy/package.sh --arch amd64 makes"),
            ("LABTELEMETRY_NEXT_PACKAGE", "the same package of a later version (deploy/package.sh --arch amd64 --version …)"),
            ("LABTELEMETRY_PUBLISHED_BUILD", "the output of deploy/publish.sh --rid linux-x64")])
        {
            string? path = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(path))
            {
                return $"{variable} is not set: .ci/run sets it to {what}";
            }

            if (!File.Exists(path) && !File.Exists(Path.Combine(path, "install.sh")))
            {
                return $"{variable}={path} is not {what}";
            }
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
