using LabTelemetry.Core.Device;

namespace LabTelemetry.Worker.Commands;

internal static class VersionText
{
    public static string Version => SoftwareVersion.Value;

    public static string Text => $"LabTelemetry {Version}";

    public static int Print()
    {
        Console.Out.WriteLine(Text);
        return Startup.ExitCodes.Ok;
    }
}
