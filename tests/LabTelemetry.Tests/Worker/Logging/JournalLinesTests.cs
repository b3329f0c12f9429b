using LabTelemetry.Worker.Logging;
using Serilog.Events;
using Serilog.Parsing;

namespace LabTelemetry.Tests.Worker.Logging;

public sealed class JournalLinesTests
{
    [Fact]
    public void AnErrorWithAnException_HasThePriorityOnEveryLine_SoJournaldFilesTheCauseAsAnErrorToo()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("the outbox directory was removed");
        }
        catch (InvalidOperationException ex)
        {
            thrown = ex;
        }

        var logEvent = new LogEvent(DateTimeOffset.UnixEpoch, LogEventLevel.Error, thrown, new MessageTemplateParser().Parse("BackgroundService failed"), []);
        new JournalPriorityEnricher().Enrich(logEvent, null!);
        using var output = new StringWriter();

        new JournalLines().Format(logEvent, output);

        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 3, output.ToString());
        Assert.Equal("<3>BackgroundService failed", lines[0]);
        Assert.StartsWith("<3>System.InvalidOperationException: the outbox directory was removed", lines[1], StringComparison.Ordinal);
        Assert.All(lines, line => Assert.StartsWith("<3>", line, StringComparison.Ordinal));
    }
}
