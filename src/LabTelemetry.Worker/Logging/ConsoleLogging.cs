using Serilog;
using Serilog.Sinks.SystemConsole.Themes;

namespace LabTelemetry.Worker.Logging;

/// <summary>Serilog on the console: under systemd, journald's priority prefixes; on a terminal, coloured text with the time.</summary>
internal static class ConsoleLogging
{
    public static HostApplicationBuilder AddConsoleLogging(this HostApplicationBuilder builder)
    {
        SerilogLevels.Apply(new LoggerConfiguration(), builder.Configuration); // a bad level is a configuration error, reported before start
        builder.Services.AddSerilog((services, logger) => Configure(SerilogLevels.Apply(logger, builder.Configuration).ReadFrom.Services(services)));
        return builder;
    }

    /// <summary>The logger for what goes wrong before a host exists, with the same priorities under journald.</summary>
    public static Serilog.ILogger CreateBootstrapLogger()
    {
        var logger = new LoggerConfiguration();
        Configure(logger);
        return logger.CreateBootstrapLogger();
    }

    private static void Configure(LoggerConfiguration logger)
    {
        if (JournalPriorityEnricher.UnderJournald)
        {
            // journald adds the time itself.
            logger.Enrich.With<JournalPriorityEnricher>().WriteTo.Console(new JournalLines());
        }
        else
        {
            logger.WriteTo.Console(
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}",
                formatProvider: null,
                theme: AnsiConsoleTheme.Code);
        }
    }
}
