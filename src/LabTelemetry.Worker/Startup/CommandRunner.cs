using LabTelemetry.Worker.Logging;
using Serilog;

namespace LabTelemetry.Worker.Startup;

/// <summary>Runs a command and turns what stops it into an exit code and a line a person can act on, not a stack trace.</summary>
internal static class CommandRunner
{
    // journald reads a leading <3> as priority err, so `journalctl -p err` shows why the service would not start.
    private static string ErrorPrefix => JournalPriorityEnricher.UnderJournald ? "<3>" : string.Empty;

    public static async Task<int> RunAsync(Func<Task<int>> command)
    {
        try
        {
            return await command().ConfigureAwait(false);
        }
        catch (Exception ex) when (ConfigurationErrors.Describe(ex) is { } problems)
        {
            foreach (string problem in problems)
            {
                await Console.Error.WriteLineAsync($"{ErrorPrefix}labtelemetry: configuration error: {problem}").ConfigureAwait(false);
            }

            return ExitCodes.Config;
        }
        catch (FormatException ex) when (ex.Source?.StartsWith("Microsoft.Extensions.Configuration", StringComparison.Ordinal) == true)
        {
            return Usage(ex.Message);
        }
        catch (Exception ex)
        {
            Log.Fatal(ex, "LabTelemetry stopped unexpectedly");
            return ExitCodes.Failure;
        }
    }

    public static int Usage(string problem)
    {
        Console.Error.WriteLine($"{ErrorPrefix}labtelemetry: {problem}; see --help");
        return ExitCodes.Usage;
    }
}
