namespace LabTelemetry.Tests.Support;

/// <summary>An empty directory of its own for one test, removed afterwards.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "labtelemetry-tests", Guid.NewGuid().ToString("N"));

    public ScratchDirectory() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
