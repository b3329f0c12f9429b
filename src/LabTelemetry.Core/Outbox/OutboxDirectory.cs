using LabTelemetry.Core.Configuration;

namespace LabTelemetry.Core.Outbox;

/// <summary>Finds, creates and checks the outbox directory.</summary>
public static class OutboxDirectory
{
    public static string Resolve(string? configured)
    {
        string directory = configured is { Length: > 0 } ? configured : Default();
        try
        {
            Directory.CreateDirectory(directory);
            string probe = Path.Combine(directory, ".write-test");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return directory;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"Outbox:Directory: cannot write to '{directory}': {ex.Message}; set Outbox:Directory to a writable directory.", ex);
        }
    }

    private static string Default()
    {
        // systemd's StateDirectory=labtelemetry sets STATE_DIRECTORY=/var/lib/labtelemetry.
        if (Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } state)
        {
            return state.Split(':')[0];
        }

        string stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(stateHome, "labtelemetry");
    }
}
