using System.Text;

namespace LabTelemetry.Tests.Support;

/// <summary>A scratch directory holding an appsettings.json, as a student would have next to the binaries.</summary>
internal sealed class TestSettings : IDisposable
{
    public const string ValidJson = """
        {
          "Telemetry": { "Group": "БАГ-18-01", "Students": [ "Иванов И.И" ] },
          "Sensor": { "Kind": "Simulated" },
          "Device": { "Id": "b8:27:eb:12:34:56" },
          "Outbox": { "Directory": "/tmp/labtelemetry-tests/outbox" }
        }
        """;

    public TestSettings(string json = ValidJson)
    {
        Directory = Path.Combine(Path.GetTempPath(), "labtelemetry-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(FilePath, json, Encoding.UTF8);
    }

    public string Directory { get; }

    public string FilePath => Path.Combine(Directory, "appsettings.json");

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
