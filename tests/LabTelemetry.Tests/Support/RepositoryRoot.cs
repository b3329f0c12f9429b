namespace LabTelemetry.Tests.Support;

/// <summary>The checkout the tests run from, found by walking up to LabTelemetry.sln.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>The version as Directory.Build.props writes it, the one place it is set.</summary>
    public static string Version() => System.Xml.Linq.XDocument.Load(File("Directory.Build.props")).Descendants("Version").Single().Value;

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !System.IO.File.Exists(System.IO.Path.Combine(directory.FullName, "LabTelemetry.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no LabTelemetry.sln above {AppContext.BaseDirectory}");
    }
}
