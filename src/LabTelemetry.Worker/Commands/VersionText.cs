using System.Reflection;

namespace LabTelemetry.Worker.Commands;

internal static class VersionText
{
    /// <summary>Gets the build's version, set once in Directory.Build.props; the Debian package is named by it.</summary>
    public static string Version { get; } =
        typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static string Text => $"LabTelemetry {Version}";

    public static int Print()
    {
        Console.Out.WriteLine(Text);
        return Startup.ExitCodes.Ok;
    }
}
