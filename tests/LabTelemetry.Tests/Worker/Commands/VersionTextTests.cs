using LabTelemetry.Tests.Support;
using LabTelemetry.Worker.Commands;

namespace LabTelemetry.Tests.Worker.Commands;

public class VersionTextTests
{
    [Fact]
    public void Text_IsTheVersionDirectoryBuildPropsSets_WithNothingAppended()
    {
        // The one place the version is written, and the name deploy/package.sh gives the package.
        Assert.Equal($"LabTelemetry {RepositoryRoot.Version()}", VersionText.Text);
    }

    [Fact]
    public void HelpText_NamesVersion() => Assert.Contains("--version", HelpText.Text, StringComparison.Ordinal);
}
