using System.Collections;

namespace LabTelemetry.Worker.Startup;

/// <summary>
/// Where this run reads its configuration: the shipped defaults, the deployed directory (<c>/etc/labtelemetry</c>)
/// and the environment; tests pass their own, so nothing process-wide is shared.
/// </summary>
/// <param name="Defaults">The directory holding the shipped appsettings.json.</param>
/// <param name="Deployed">The deployed configuration directory, or <see langword="null"/> for none.</param>
/// <param name="EnvironmentFile">The deployed secrets file to read ourselves, or <see langword="null"/> when systemd already loaded it.</param>
/// <param name="Environment">The process's environment variables.</param>
internal sealed record ConfigurationPlaces(string Defaults, string? Deployed, string? EnvironmentFile, IReadOnlyDictionary<string, string> Environment)
{
    public const string DeployedDirectory = "/etc/labtelemetry";
    public const string EnvironmentFileName = "env";

    /// <summary>
    /// The places of this machine. Under systemd, <c>CONFIGURATION_DIRECTORY</c> names the deployed directory and
    /// <c>EnvironmentFile=</c> has loaded the secrets; run by hand (<c>check</c>, <c>once</c>), we read both from
    /// <c>/etc/labtelemetry</c> ourselves, so a person sees what the service uses.
    /// </summary>
    public static ConfigurationPlaces ForThisMachine() => FromEnvironment(
        System.Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => e.Value as string ?? string.Empty, StringComparer.Ordinal));

    internal static ConfigurationPlaces FromEnvironment(IReadOnlyDictionary<string, string> environment)
    {
        // systemd may pass several directories separated by ':'; ours is the first.
        return environment.TryGetValue("CONFIGURATION_DIRECTORY", out string? systemd) && systemd.Length > 0
            ? new(AppContext.BaseDirectory, systemd.Split(':')[0], null, environment)
            : new(AppContext.BaseDirectory, DeployedDirectory, Path.Combine(DeployedDirectory, EnvironmentFileName), environment);
    }

    /// <summary>Places for a test: its own defaults and deployed directory, and only the variables it names.</summary>
    public static ConfigurationPlaces Isolated(string defaults, string? deployed = null, IReadOnlyDictionary<string, string>? environment = null) =>
        new(defaults, deployed, deployed is null ? null : Path.Combine(deployed, EnvironmentFileName), environment ?? new Dictionary<string, string>());
}
