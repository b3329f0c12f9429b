using Serilog;
using Serilog.Events;

namespace LabTelemetry.Worker.Logging;

/// <summary>
/// Reads <c>Serilog:MinimumLevel</c> (a level, or <c>Default</c> and <c>Override</c>) from configuration. Only the
/// levels: sinks are set in code, and Serilog.Settings.Configuration's reflection would not survive trimming.
/// </summary>
internal static class SerilogLevels
{
    public const string Section = "Serilog:MinimumLevel";

    public static LoggerConfiguration Apply(LoggerConfiguration logger, IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        if (Parse(section.Value ?? section["Default"], $"{Section}:Default") is { } level)
        {
            logger.MinimumLevel.Is(level);
        }

        foreach (var entry in section.GetSection("Override").GetChildren())
        {
            if (Parse(entry.Value, entry.Path) is { } overrideLevel)
            {
                logger.MinimumLevel.Override(entry.Key, overrideLevel);
            }
        }

        return logger;
    }

    private static LogEventLevel? Parse(string? text, string key) =>
        text is null ? null
        : Enum.TryParse<LogEventLevel>(text, ignoreCase: true, out var level) && Enum.IsDefined(level) ? level
        : throw new Core.Configuration.ConfigurationException($"{key}: '{text}' is not a log level; use Verbose, Debug, Information, Warning, Error or Fatal.");
}
