namespace LabTelemetry.Worker.Commands;

/// <summary>What the command line asks for: a command, the settings that follow it, or why it cannot be read.</summary>
internal sealed record Invocation(string Command, string[] Settings, bool DryRun = false, string? Error = null)
{
    public const string Service = "service";
    public const string Help = "help";
    public const string Version = "version";
    public const string Demo = "demo";
    public const string Check = "check";
    public const string Once = "once";

    private static readonly string[] Commands = [Demo, Check, Once];

    /// <summary>
    /// No command runs the service; <c>demo</c>, <c>check</c> and <c>once</c> take settings after them
    /// (<c>--Mqtt:Host=…</c>), <c>once</c> also <c>--dry-run</c>; <c>--help</c> and <c>--version</c> win wherever
    /// they are. Anything else is a usage error.
    /// </summary>
    public static Invocation Parse(string[] args)
    {
        if (args.Any(a => a is "--help" or "-h" or "-?" or "help"))
        {
            return new Invocation(Help, []);
        }

        if (args.Contains("--version"))
        {
            return new Invocation(Version, []);
        }

        string command = args.Length > 0 && Commands.Contains(args[0]) ? args[0] : Service;
        string[] rest = command == Service ? args : args[1..];
        bool dryRun = rest.Contains("--dry-run");
        string[] settings = [.. rest.Where(a => a != "--dry-run")];

        if (dryRun && command != Once)
        {
            return new Invocation(command, settings, Error: "--dry-run goes with the once command");
        }

        // Settings are --Key=Value, --Key Value or Key=Value; a bare word where a setting should start is a mistyped command.
        for (int i = 0; i < settings.Length; i++)
        {
            string word = settings[i];
            if (word.StartsWith('-') && !word.Contains('=', StringComparison.Ordinal))
            {
                i++; // its value follows
            }
            else if (!word.Contains('=', StringComparison.Ordinal))
            {
                return new Invocation(command, settings, Error: i == 0 && command == Service
                    ? $"unknown command '{word}'"
                    : $"'{word}' is not a setting (write --Section:Key=value)");
            }
        }

        return new Invocation(command, settings, dryRun);
    }
}
