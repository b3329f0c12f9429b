using LabTelemetry.Worker.Commands;
using LabTelemetry.Worker.Logging;
using LabTelemetry.Worker.Startup;
using Serilog;

// The one socket, the broker's, completes its reads and writes on the thread that polls it instead of handing each
// to the thread pool: at one reading a tick, most of the CPU was threads waking each other, not work. Set before
// any socket exists, which is when .NET reads it; a value set from outside wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

// Until a host is built, a bootstrap logger catches what goes wrong on the way.
Log.Logger = ConsoleLogging.CreateBootstrapLogger();
try
{
    var invocation = Invocation.Parse(args);
    return invocation switch
    {
        { Error: { } problem } => CommandRunner.Usage(problem),
        { Command: Invocation.Help } => HelpText.Print(),
        { Command: Invocation.Version } => VersionText.Print(),
        { Command: Invocation.Demo } => await CommandRunner.RunAsync(() => DemoCommand.RunAsync(invocation.Settings)),
        { Command: Invocation.Check } => await CommandRunner.RunAsync(() => CheckCommand.RunAsync(invocation.Settings)),
        { Command: Invocation.Once } => await CommandRunner.RunAsync(() => OnceCommand.RunAsync(invocation.Settings, invocation.DryRun)),
        _ => await CommandRunner.RunAsync(() => ServiceCommand.RunAsync(invocation.Settings)),
    };
}
finally
{
    await Log.CloseAndFlushAsync();
}
