using System.Reflection;

namespace LabTelemetry.Core.Device;

/// <summary>The build's version, set once in Directory.Build.props: what <c>--version</c> prints, the Debian package is named by, and Home Assistant shows.</summary>
public static class SoftwareVersion
{
    public static string Value { get; } =
        typeof(SoftwareVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
