using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

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

/// <summary>Writes an event for journald with its priority prefix on every line, so that <c>journalctl -p err</c> shows an
/// exception's stack trace too: journald stores each line as an entry of its own.</summary>
internal sealed class JournalLines : ITextFormatter
{
    // journald adds the time itself.
    private readonly MessageTemplateTextFormatter _text = new("{Message:lj}{NewLine}{Exception}", formatProvider: null);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var text = new StringWriter();
        _text.Format(logEvent, text);
        string prefix = logEvent.Properties.TryGetValue(JournalPriorityEnricher.PropertyName, out var priority) && priority is ScalarValue { Value: string p } ? p : string.Empty;
        foreach (string line in text.ToString().TrimEnd('\n').Split('\n'))
        {
            output.Write(prefix);
            output.Write(line);
            output.Write('\n');
        }
    }
}
