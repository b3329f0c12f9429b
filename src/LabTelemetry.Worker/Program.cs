using LabTelemetry.Worker.Commands;
using LabTelemetry.Worker.Logging;
using LabTelemetry.Worker.Startup;
using Serilog;

// Until a host is built, a bootstrap logger catches what goes wrong on the way.
Log.Logger = ConsoleLogging.CreateBootstrapLogger();
try
{
    var invocation = Invocation.Parse(args);
    return invocation switch
    {
        { Error: { } problem } => Guarded.Usage(problem),
        { Command: Invocation.Help } => HelpText.Print(),
        { Command: Invocation.Demo } => await Guarded.RunAsync(() => DemoCommand.RunAsync(invocation.Settings)),
        { Command: Invocation.Check } => await Guarded.RunAsync(() => CheckCommand.RunAsync(invocation.Settings)),
        { Command: Invocation.Once } => await Guarded.RunAsync(() => OnceCommand.RunAsync(invocation.Settings, invocation.DryRun)),
        _ => await Guarded.RunAsync(() => ServiceCommand.RunAsync(invocation.Settings)),
    };
}
finally
{
    await Log.CloseAndFlushAsync();
}
