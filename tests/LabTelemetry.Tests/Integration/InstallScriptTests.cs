using System.Diagnostics;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>deploy/install.sh, run against a scratch root directory as it runs against / on the Pi.</summary>
public sealed class InstallScriptTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public InstallScriptTests()
    {
        // What deploy/publish.sh leaves: the program, appsettings.json, the unit and the script.
        Directory.CreateDirectory(Build);
        File.Copy(RepositoryRoot.File("deploy", "install.sh"), Path.Combine(Build, "install.sh"));
        File.Copy(RepositoryRoot.File("deploy", "systemd", "labtelemetry.service"), Path.Combine(Build, "labtelemetry.service"));
        File.Copy(RepositoryRoot.File("deploy", "systemd", "gpio.conf"), Path.Combine(Build, "gpio.conf"));
        File.Copy(RepositoryRoot.File("appsettings.json"), Path.Combine(Build, "appsettings.json"));
        File.WriteAllText(Path.Combine(Build, "LabTelemetry.Worker"), "#!/bin/sh\n");
        Directory.CreateDirectory(Root("boot", "firmware"));
        File.WriteAllText(Root("boot", "firmware", "config.txt"), "[all]\narm_64bit=1\n");
    }

    private string Build => Path.Combine(_scratch.Path, "publish");

    public void Dispose() => _scratch.Dispose();

    private string Root(params string[] parts) => Path.Combine([_scratch.Path, "root", .. parts]);

    private async Task<(int ExitCode, string Output)> InstallAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(Build, "install.sh"), "--root", Root(), .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    [Fact]
    public async Task Gpio_InstallsTheDropIn_WhichIsTheShippedOne_AndWithoutItNoneIsWritten()
    {
        await InstallAsync();
        string dropIn = Root("etc", "systemd", "system", "labtelemetry.service.d", "gpio.conf");
        Assert.False(File.Exists(dropIn));

        var (exitCode, output) = await InstallAsync("--gpio");

        Assert.Equal(0, exitCode);
        Assert.Equal(File.ReadAllText(RepositoryRoot.File("deploy", "systemd", "gpio.conf")), File.ReadAllText(dropIn));
        Assert.Contains("the service may open /dev/gpiochip*", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_PutsProgramConfigUnitAndOverlayInPlace_AndSaysWhatIsNext()
    {
        var (exitCode, output) = await InstallAsync();

        Assert.Equal(0, exitCode);
        Assert.True(File.Exists(Root("opt", "labtelemetry", "LabTelemetry.Worker")));
        Assert.Equal(File.ReadAllText(RepositoryRoot.File("appsettings.json")), File.ReadAllText(Root("etc", "labtelemetry", "appsettings.json")));
        // The shipped unit names the package's /usr/lib/labtelemetry; this script's copy names where it put the program.
        string unit = File.ReadAllText(Root("etc", "systemd", "system", "labtelemetry.service"));
        Assert.Contains("\nExecStart=/opt/labtelemetry/LabTelemetry.Worker\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nWorkingDirectory=/opt/labtelemetry\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nDocumentation=file:///opt/labtelemetry/README.md\n", unit, StringComparison.Ordinal);
        Assert.DoesNotContain("/usr/", unit, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Root("etc", "labtelemetry", "env")));
        Assert.Contains("\ndtoverlay=w1-gpio\n", File.ReadAllText(Root("boot", "firmware", "config.txt")), StringComparison.Ordinal);
        Assert.Contains("reboot to load the 1-Wire driver", output, StringComparison.Ordinal);
        Assert.Contains("next: write your group and names", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallAgain_KeepsTheUsersConfig_AndAddsTheOverlayOnlyOnce()
    {
        await InstallAsync();
        string edited = File.ReadAllText(Root("etc", "labtelemetry", "appsettings.json")).Replace("\"Group\": \"\"", "\"Group\": \"БАГ-18-01\"", StringComparison.Ordinal);
        File.WriteAllText(Root("etc", "labtelemetry", "appsettings.json"), edited);
        File.WriteAllText(Root("etc", "labtelemetry", "env"), "LABTELEMETRY_Mqtt__Password=secret\n");

        var (exitCode, output) = await InstallAsync();

        Assert.Equal(0, exitCode);
        Assert.Equal(edited, File.ReadAllText(Root("etc", "labtelemetry", "appsettings.json")));
        Assert.Equal("LABTELEMETRY_Mqtt__Password=secret\n", File.ReadAllText(Root("etc", "labtelemetry", "env")));
        Assert.Single(File.ReadAllLines(Root("boot", "firmware", "config.txt")), l => l.StartsWith("dtoverlay=w1-gpio", StringComparison.Ordinal));
        Assert.Contains("kept your", output, StringComparison.Ordinal);
        Assert.Contains("1-Wire is already enabled", output, StringComparison.Ordinal);
        Assert.DoesNotContain("next: write your group", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_OlderImageWithAnotherPin_WritesTheOverlayToBootConfig()
    {
        Directory.Delete(Root("boot", "firmware"), recursive: true);
        File.WriteAllText(Root("boot", "config.txt"), "[all]\n");

        var (exitCode, _) = await InstallAsync("--w1-pin", "17");

        Assert.Equal(0, exitCode);
        Assert.Contains("dtoverlay=w1-gpio,gpiopin=17", File.ReadAllText(Root("boot", "config.txt")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_FrameworkDependentBuild_RunsThroughDotnet()
    {
        File.Delete(Path.Combine(Build, "LabTelemetry.Worker"));
        File.WriteAllText(Path.Combine(Build, "LabTelemetry.Worker.dll"), string.Empty);

        await InstallAsync();

        Assert.Contains("ExecStart=/usr/bin/dotnet /opt/labtelemetry/LabTelemetry.Worker.dll", File.ReadAllText(Root("etc", "systemd", "system", "labtelemetry.service")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uninstall_RemovesProgramAndUnit_KeepsConfigAndState()
    {
        await InstallAsync();
        Directory.CreateDirectory(Root("var", "lib", "labtelemetry"));

        var (exitCode, output) = await InstallAsync("--uninstall");

        Assert.Equal(0, exitCode);
        Assert.False(Directory.Exists(Root("opt", "labtelemetry")));
        Assert.False(File.Exists(Root("etc", "systemd", "system", "labtelemetry.service")));
        Assert.True(File.Exists(Root("etc", "labtelemetry", "appsettings.json")));
        Assert.True(Directory.Exists(Root("var", "lib", "labtelemetry")));
        Assert.Contains("kept", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_WhenTheDebianPackageIsInstalled_RefusesAndTouchesNothing()
    {
        Directory.CreateDirectory(Root("var", "lib", "dpkg"));
        File.WriteAllText(Root("var", "lib", "dpkg", "status"), """
            Package: labtelemetry
            Status: install ok installed
            Maintainer: LabTelemetry maintainers <maintainers@example.com>
            Architecture: arm64
            Version: 1.0.0
            Description: DS18B20 temperature to MQTT

            """);

        var (exitCode, output) = await InstallAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("the Debian package labtelemetry is installed", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Root("opt")));
        Assert.False(Directory.Exists(Root("etc")));
    }

    [Theory]
    [InlineData("--w1-pin", "four")]
    [InlineData("--bogus")]
    public async Task WrongArgument_ExitsWith64(params string[] args)
    {
        Assert.Equal(64, (await InstallAsync(args)).ExitCode);
    }
}
