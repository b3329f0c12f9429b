namespace LabTelemetry.Tests.Integration;

/// <summary>Runs a program on this machine and collects its output.</summary>
internal static class HostCommand
{
    public static async Task<CommandResult> RunAsync(string program, IEnumerable<string> args, TimeSpan within)
    {
        await using var command = RunningCommand.Start(program, args);
        return await command.WaitAsync(within);
    }
}
