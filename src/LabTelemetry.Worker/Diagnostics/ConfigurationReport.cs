using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace LabTelemetry.Worker.Diagnostics;

/// <summary>Where the configuration came from, and the values set there, secrets masked.</summary>
internal static class ConfigurationReport
{
    private static readonly string[] Sections = ["Mqtt", "Device", "Sensor", "Telemetry", "Results", "Outbox", "Availability"];

    public static IEnumerable<CheckLine> Describe(IConfigurationRoot configuration, string environmentPrefix, int commandLineSettings)
    {
        var sources = new List<string>();
        foreach (var provider in configuration.Providers)
        {
            switch (provider)
            {
                case JsonConfigurationProvider json when json.Source.FileProvider?.GetFileInfo(json.Source.Path ?? string.Empty).Exists == true:
                    sources.Add(json.Source.FileProvider.GetFileInfo(json.Source.Path!).PhysicalPath ?? json.Source.Path!);
                    break;
                case EnvironmentVariablesConfigurationProvider:
                    int variables = Environment.GetEnvironmentVariables().Keys.Cast<string>().Count(k => k.StartsWith(environmentPrefix, StringComparison.OrdinalIgnoreCase));
                    if (variables > 0)
                    {
                        sources.Add($"{variables} {environmentPrefix} environment variable(s)");
                    }

                    break;
                case CommandLineConfigurationProvider when commandLineSettings > 0:
                    sources.Add($"{commandLineSettings} command-line setting(s)");
                    break;
            }
        }

        yield return CheckLine.Good($"configuration from {string.Join(", ", sources.Distinct())}");
        foreach (var (key, value) in Sections.SelectMany(s => configuration.GetSection(s).AsEnumerable(makePathsRelative: false)).Where(p => p.Value is not null && !configuration.GetSection(p.Key).GetChildren().Any()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            yield return CheckLine.Info($"  {key} = {(key.EndsWith("Password", StringComparison.OrdinalIgnoreCase) ? "****" : value)}");
        }
    }
}
