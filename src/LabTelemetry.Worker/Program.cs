using LabTelemetry.Worker.Logging;
using LabTelemetry.Worker.Startup;
using Serilog;
using Serilog.Sinks.SystemConsole.Themes;

// Until the host is built, a bootstrap logger catches what goes wrong on the way.
Log.Logger = new LoggerConfiguration().WriteTo.Console(formatProvider: null).CreateBootstrapLogger();
try
{
    var builder = LabTelemetryHost.CreateBuilder(args);
    SerilogLevels.Apply(new LoggerConfiguration(), builder.Configuration); // a bad level is a configuration error, reported before start
    builder.Services.AddSerilog((services, logger) => ConfigureLogging(SerilogLevels.Apply(logger, builder.Configuration).ReadFrom.Services(services)));
    using var host = builder.Build();
    LabTelemetryHost.ValidateConfiguration(host.Services);
    await host.RunAsync();
    return ExitCodes.Ok;
}
catch (Exception ex) when (ConfigurationErrors.Describe(ex) is { } problems)
{
    // One line per problem, no stack trace: the person reading it needs the key and the fix.
    foreach (string problem in problems)
    {
        await Console.Error.WriteLineAsync($"labtelemetry: configuration error: {problem}");
    }

    return ExitCodes.Config;
}
catch (Exception ex)
{
    Log.Fatal(ex, "LabTelemetry stopped unexpectedly");
    return ExitCodes.Failure;
}
finally
{
    await Log.CloseAndFlushAsync();
}

// Under systemd, journald adds the time and reads the priority prefix; on a terminal, coloured text with the time.
static void ConfigureLogging(LoggerConfiguration logger)
{
    if (JournalPriorityEnricher.UnderJournald)
    {
        logger.Enrich.With<JournalPriorityEnricher>().WriteTo.Console(
            outputTemplate: "{" + JournalPriorityEnricher.PropertyName + "}{Message:lj}{NewLine}{Exception}",
            formatProvider: null);
    }
    else
    {
        logger.WriteTo.Console(
            outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}",
            formatProvider: null,
            theme: AnsiConsoleTheme.Code);
    }
}
