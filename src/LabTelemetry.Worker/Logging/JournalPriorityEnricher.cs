using Serilog.Core;
using Serilog.Events;

namespace LabTelemetry.Worker.Logging;

/// <summary>
/// Adds the syslog priority prefix (<c>&lt;3&gt;</c> for errors, <c>&lt;4&gt;</c> for warnings…) that journald reads
/// from a service's standard output, so <c>journalctl -p warning</c> shows warnings and worse.
/// </summary>
internal sealed class JournalPriorityEnricher : ILogEventEnricher
{
    public const string PropertyName = "JournalPriority";

    private static readonly LogEventProperty[] Priorities =
    [
        new(PropertyName, new ScalarValue("<7>")), // Verbose: debug
        new(PropertyName, new ScalarValue("<7>")), // Debug: debug
        new(PropertyName, new ScalarValue("<6>")), // Information: info
        new(PropertyName, new ScalarValue("<4>")), // Warning: warning
        new(PropertyName, new ScalarValue("<3>")), // Error: err
        new(PropertyName, new ScalarValue("<2>")), // Fatal: crit
    ];

    public static bool UnderJournald => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory) =>
        logEvent.AddPropertyIfAbsent(Priorities[(int)logEvent.Level]);
}
