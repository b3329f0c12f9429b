using System.Text.Json;
using System.Text.RegularExpressions;
using LabTelemetry.Core.Configuration;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Sensors;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Worker.Startup;

/// <summary>Turns what configuration throws into lines a person can act on, naming the key or the file.</summary>
internal static partial class ConfigurationErrors
{
    private static readonly Dictionary<string, string[]> EnumChoices = new()
    {
        [typeof(SensorKind).FullName!] = Enum.GetNames<SensorKind>(),
        [typeof(MacFormat).FullName!] = Enum.GetNames<MacFormat>(),
        [typeof(LogLevel).FullName!] = Enum.GetNames<LogLevel>(),
    };

    public static IReadOnlyList<string>? Describe(Exception exception) => exception switch
    {
        ConfigurationException e => [e.Message],
        OptionsValidationException e => e.Failures.Select(StripGeneratedPrefix).ToList(),
        AggregateException e => e.InnerExceptions.Select(Describe).OfType<IReadOnlyList<string>>().SelectMany(l => l).ToList() is { Count: > 0 } lines ? lines : null,
        FileNotFoundException e when MissingFile().Match(e.Message) is { Success: true } m =>
            [$"{m.Groups["path"].Value}: file not found; copy appsettings.json from the repository next to the binaries."],
        InvalidDataException e when (e.InnerException as JsonException ?? e.InnerException?.InnerException as JsonException) is { } json =>
            [$"{SettingsFileIn(e.Message)}: not valid JSON at line {json.LineNumber + 1}, position {json.BytePositionInLine + 1}: {FirstSentence(json.Message)}."],
        InvalidOperationException e when ConvertFailure().Match(e.Message) is { Success: true } m =>
            [$"{m.Groups["key"].Value}: '{m.Groups["value"].Value}' is not a valid {ShortType(m.Groups["type"].Value)}{Hint(m.Groups["type"].Value)}."],
        InvalidOperationException e when UnknownKeys().Match(e.Message) is { Success: true } m =>
            [$"{SectionOf(m.Groups["type"].Value)}: unknown setting(s) {m.Groups["keys"].Value}; check the spelling against the configuration table in README.md."],
        _ => null,
    };

    // The options source generator writes "Port: The field MqttOptions.Port must be between 1 and 65535."
    // (its [Range] ignores ErrorMessage); a person needs the key as it is written in appsettings.json.
    private static string StripGeneratedPrefix(string failure)
    {
        string message = MemberPrefix().Match(failure) is { Success: true } m ? m.Groups["message"].Value : failure;
        return FieldName().Replace(message, f => $"{f.Groups["section"].Value}:{f.Groups["member"].Value}");
    }

    private static string SettingsFileIn(string message) =>
        SettingsPath().Match(message) is { Success: true } m ? m.Groups["path"].Value : LabTelemetryHost.SettingsFile;

    private static string FirstSentence(string message) => message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.');

    private static string ShortType(string type) => type.Split('.', '+')[^1] switch
    {
        "TimeSpan" => "duration (hh:mm:ss, for example 00:00:05)",
        "Int32" => "whole number",
        "Double" => "number",
        "Boolean" => "true or false",
        var name => name,
    };

    private static string Hint(string type) =>
        EnumChoices.TryGetValue(type, out string[]? names) ? $"; use one of {string.Join(", ", names)}" : string.Empty;

    private static string SectionOf(string optionsType) => optionsType.Split('.')[^1].Replace("Options", string.Empty, StringComparison.Ordinal);

    [GeneratedRegex("^[\\w, ]+: (?<message>.*)$", RegexOptions.Singleline)]
    private static partial Regex MemberPrefix();

    [GeneratedRegex("The field (?<section>\\w+)Options\\.(?<member>\\w+)")]
    private static partial Regex FieldName();

    [GeneratedRegex("Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']*)' to type '(?<type>[^']*)'", RegexOptions.Singleline)]
    private static partial Regex ConvertFailure();

    [GeneratedRegex("not found on the instance of (?<type>[\\w.]+): (?<keys>.*)$", RegexOptions.Singleline)]
    private static partial Regex UnknownKeys();

    [GeneratedRegex("expected physical path was '(?<path>[^']*)'")]
    private static partial Regex MissingFile();

    [GeneratedRegex("file '(?<path>[^']*)'")]
    private static partial Regex SettingsPath();
}
