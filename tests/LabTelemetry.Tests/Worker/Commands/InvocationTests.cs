using LabTelemetry.Worker.Commands;

namespace LabTelemetry.Tests.Worker.Commands;

public class InvocationTests
{
    [Fact]
    public void Parse_Nothing_IsTheService() => Assert.Equal(new Invocation(Invocation.Service, []), Invocation.Parse([]));

    [Fact]
    public void Parse_SettingsAlone_AreTheServiceWithSettings()
    {
        var invocation = Invocation.Parse(["--Mqtt:Host=127.0.0.1", "--Mqtt:Port", "1884", "Telemetry:Group=G"]);

        Assert.Equal(Invocation.Service, invocation.Command);
        Assert.Null(invocation.Error);
        Assert.Equal(4, invocation.Settings.Length);
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("check")]
    [InlineData("once")]
    public void Parse_Command_TakesTheSettingsAfterIt(string command)
    {
        var invocation = Invocation.Parse([command, "--Mqtt:Host=127.0.0.1"]);

        Assert.Equal(command, invocation.Command);
        Assert.Equal(["--Mqtt:Host=127.0.0.1"], invocation.Settings);
    }

    [Fact]
    public void Parse_OnceDryRun_IsAFlagNotASetting()
    {
        var invocation = Invocation.Parse(["once", "--dry-run", "--Sensor:Kind=Simulated"]);

        Assert.True(invocation.DryRun);
        Assert.Equal(["--Sensor:Kind=Simulated"], invocation.Settings);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public void Parse_Help_AnywhereIsHelp(string help) => Assert.Equal(Invocation.Help, Invocation.Parse(["check", help]).Command);

    [Theory]
    [InlineData("--version")]
    [InlineData("check --version")]
    [InlineData("--Mqtt:Host=127.0.0.1 --version")]
    public void Parse_Version_AnywhereIsTheVersion(string args) => Assert.Equal(Invocation.Version, Invocation.Parse(args.Split(' ')).Command);

    [Fact]
    public void Parse_VersionWithHelp_IsHelp() => Assert.Equal(Invocation.Help, Invocation.Parse(["--version", "--help"]).Command);

    [Theory]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    [InlineData(new[] { "check", "broker" }, "'broker' is not a setting")]
    [InlineData(new[] { "demo", "--dry-run" }, "--dry-run goes with the once command")]
    public void Parse_Mistakes_AreUsageErrors(string[] args, string error) => Assert.StartsWith(error, Invocation.Parse(args).Error, StringComparison.Ordinal);
}
