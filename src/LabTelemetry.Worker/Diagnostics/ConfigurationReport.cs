using LabTelemetry.Worker.Startup;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.Json;

namespace LabTelemetry.Worker.Diagnostics;

/// <summary>Where the configuration came from, and the values set there, secrets masked.</summary>
internal static class ConfigurationReport
{
    private static readonly string[] Sections = ["Mqtt", "Device", "Sensor", "Telemetry", "Results", "Outbox", "Availability", "HomeAssistant"];

    public static IEnumerable<CheckLine> Describe(IConfigurationRoot configuration, int commandLineSettings)
    {
        var sources = new List<string>();
        var unreadable = new List<string>();
        foreach (var provider in configuration.Providers)
        {
            switch (provider)
            {
                case JsonConfigurationProvider json when json.Source.FileProvider?.GetFileInfo(json.Source.Path ?? string.Empty).Exists == true:
                    sources.Add(json.Source.FileProvider.GetFileInfo(json.Source.Path!).PhysicalPath ?? json.Source.Path!);
                    break;
                case PrefixedVariables { Readable: false } variables:
                    unreadable.Add(variables.Origin);
                    break;
                case PrefixedVariables { Count: > 0 } variables:
                    sources.Add($"{variables.Count} {PrefixedVariables.Prefix} variable(s) from {variables.Origin}");
                    break;
                case CommandLineConfigurationProvider when commandLineSettings > 0:
                    sources.Add($"{commandLineSettings} command-line setting(s)");
                    break;
            }
        }

        yield return CheckLine.Good($"configuration from {string.Join(", ", sources.Distinct())}");
        foreach (string file in unreadable)
        {
            yield return CheckLine.Info($"{file} is not readable by this user: run with sudo to include the secrets the service uses");
        }

        foreach (var (key, value) in Sections.SelectMany(s => configuration.GetSection(s).AsEnumerable(makePathsRelative: false)).Where(p => p.Value is not null && !configuration.GetSection(p.Key).GetChildren().Any()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            yield return CheckLine.Info($"  {key} = {(key.EndsWith("Password", StringComparison.OrdinalIgnoreCase) ? "****" : value)}");
        }
    }
}
