namespace LabTelemetry.Tests;

public class RuntimeTests
{
    [Fact]
    public void Tests_RunOnTheRuntimeTheyTarget()
    {
#if NET10_0_OR_GREATER
        Assert.Equal(10, Environment.Version.Major);
#else
        // The test project is self-contained, so the net8.0 leg runs on the real .NET 8 runtime.
        Assert.Equal(8, Environment.Version.Major);
#endif
    }
}
