using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Telemetry;
using LabTelemetry.Tests.Support;
using LabTelemetry.Worker.Startup;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Tests.Worker.Startup;

public class ConfigurationValidationTests
{
    /// <summary>Builds the host as Program.cs does and returns the lines a person would see (none when the configuration works).</summary>
    private static IReadOnlyList<string> ProblemsWithFile(string json, params string[] args)
    {
        using var settings = new TestSettings(json);
        try
        {
            using var host = LabTelemetryHost.CreateBuilder(args, ConfigurationPlaces.Isolated(settings.Directory)).Build();
            LabTelemetryHost.ValidateConfiguration(host.Services);
            return [];
        }
        catch (Exception ex)
        {
            return ConfigurationErrors.Describe(ex) ?? throw new Xunit.Sdk.XunitException($"not described: {ex}");
        }
    }

    private static IReadOnlyList<string> Problems(params string[] args) => ProblemsWithFile(TestSettings.ValidJson, args);

    [Fact]
    public void ValidConfiguration_HasNoProblems() => Assert.Empty(Problems());

    [Theory]
    [InlineData("--Telemetry:Group=", "Telemetry:Group is empty")]
    [InlineData("--Telemetry:Group=  ", "Telemetry:Group is empty")]
    [InlineData("--Telemetry:Students:0=", "Telemetry:Students:0 is empty")]
    [InlineData("--Telemetry:Interval=00:00:00", "Telemetry:Interval must be between")]
    [InlineData("--Telemetry:Interval=-00:00:05", "Telemetry:Interval must be between")]
    [InlineData("--Telemetry:Interval=five", "Telemetry:Interval: 'five' is not a valid duration")]
    [InlineData("--Telemetry:Decimals=7", "Telemetry:Decimals must be between 0 and 4")]
    [InlineData("--Telemetry:Qos=3", "Telemetry:Qos must be 0 or 1")]
    [InlineData("--Telemetry:Qos=-1", "Telemetry:Qos must be 0 or 1")]
    [InlineData("--Telemetry:Topic=DATA/#", "Telemetry:Topic 'DATA/#' contains '#' or '+'")]
    [InlineData("--Mqtt:Port=0", "Mqtt:Port must be between 1 and 65535")]
    [InlineData("--Mqtt:Port=65536", "Mqtt:Port must be between 1 and 65535")]
    [InlineData("--Mqtt:Port=abc", "Mqtt:Port: 'abc' is not a valid whole number")]
    [InlineData("--Mqtt:Host=", "Mqtt:Host is empty")]
    [InlineData("--Mqtt:ProtocolVersion=4", "Mqtt:ProtocolVersion is '4'; use 3.1.1 or 5")]
    [InlineData("--Mqtt:Password=secret", "Mqtt:Password is set but Mqtt:Username is empty")]
    [InlineData("--Mqtt:KeepAlive=00:00:00", "Mqtt:KeepAlive must be between")]
    [InlineData("--Mqtt:HealthCheckInterval=00:00:20", "Mqtt:HealthCheckInterval (00:00:20) must be at most half of Mqtt:KeepAlive (00:00:30)")]
    [InlineData("--Mqtt:CaFile=/nonexistent/ca.pem", "Mqtt:CaFile is set but Mqtt:UseTls is false")]
    [InlineData("--Sensor:Kind=Foo", "Sensor:Kind: 'Foo' is not a valid SensorKind; use one of Ds18b20, Simulated")]
    [InlineData("--Sensor:Id=28-xyz", "Sensor:Id must look like 28-")]
    [InlineData("--Sensor:MaxRateCelsiusPerSecond=0", "Sensor:MaxRateCelsiusPerSecond must be between")]
    [InlineData("--Device:MacFormat=Dashes", "Device:MacFormat: 'Dashes' is not a valid MacFormat; use one of LowerCaseColons")]
    [InlineData("--Device:Id=a/b", "Device:Id must be one topic level")]
    [InlineData("--Results:Topic=", "Results:Topic is empty")]
    [InlineData("--Results:OthersLevel=Loud", "Results:OthersLevel: 'Loud' is not a valid LogLevel")]
    [InlineData("--Mqtt:Hots=127.0.0.1", "Mqtt: unknown setting(s) 'Hots'")]
    [InlineData("--Outbox:MaxMessages=0", "Outbox:MaxMessages must be between 1 and 10000000")]
    [InlineData("--Outbox:Directory=/proc/labtelemetry", "Outbox:Directory: cannot write to '/proc/labtelemetry'")]
    [InlineData("--Availability:Topic=STATUS/#", "Availability:Topic 'STATUS/#' contains '#' or '+'")]
    [InlineData("--Results:MaxPayloadBytes=0", "Results:MaxPayloadBytes must be between")]
    public void InvalidSetting_IsOneLineNamingTheKey(string argument, string expected)
    {
        var problems = Problems(argument);

        var problem = Assert.Single(problems);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Qos2_IsRefused_WithTheReasonAndWhatToUseInstead()
    {
        var problem = Assert.Single(Problems("--Telemetry:Qos=2"));

        Assert.Equal("Telemetry:Qos is 2 (exactly once), which this worker cannot keep: a reading whose acknowledgement times out is published again as a new message after reconnecting, so it may arrive twice; use 1 (at least once, the default) or 0.", problem);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Qos0And1_AreAccepted(int qos) => Assert.Empty(Problems($"--Telemetry:Qos={qos}"));

    [Fact]
    public void CaFileThatDoesNotExist_NamesTheFile()
    {
        var problem = Assert.Single(Problems("--Mqtt:UseTls=true", "--Mqtt:CaFile=/nonexistent/ca.pem"));

        Assert.Equal("Mqtt:CaFile: file '/nonexistent/ca.pem' not found.", problem);
    }

    [Fact]
    public void CaFileThatIsNotAPemCertificate_NamesTheFile()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");

            var problem = Assert.Single(Problems("--Mqtt:UseTls=true", $"--Mqtt:CaFile={path}"));

            Assert.Equal($"Mqtt:CaFile: '{path}' holds no PEM certificate.", problem);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NoStudents_IsReported()
    {
        var problem = Assert.Single(ProblemsWithFile("""{ "Telemetry": { "Group": "G" }, "Sensor": { "Kind": "Simulated" }, "Device": { "Id": "x" } }"""));

        Assert.StartsWith("Telemetry:Students is empty", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralProblems_AreAllReportedAtOnce()
    {
        var problems = Problems("--Telemetry:Group=", "--Mqtt:Port=0", "--Sensor:Kind=Foo");

        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public void MalformedJson_NamesTheFileAndTheLine()
    {
        var problem = Assert.Single(ProblemsWithFile("{\n  \"Mqtt\": { \"Host\": }\n}"));

        Assert.Contains("appsettings.json: not valid JSON at line 2", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingSettingsFile_NamesTheFile()
    {
        string directory = Path.Combine(Path.GetTempPath(), "labtelemetry-tests", "missing-" + Guid.NewGuid().ToString("N"));

        var ex = Assert.ThrowsAny<Exception>(() => LabTelemetryHost.CreateBuilder([], ConfigurationPlaces.Isolated(directory)));

        var problem = Assert.Single(ConfigurationErrors.Describe(ex)!);
        Assert.Contains(Path.Combine(directory, "appsettings.json") + ": file not found", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void EnvironmentVariable_OverridesTheFile_AndTheCommandLineOverridesBoth()
    {
        using var settings = new TestSettings();
        var environment = new Dictionary<string, string> { ["LABTELEMETRY_Mqtt__Port"] = "2883", ["LABTELEMETRY_Mqtt__Username"] = "from-env" };

        using var host = LabTelemetryHost.CreateBuilder(["--Mqtt:Port=3883"], ConfigurationPlaces.Isolated(settings.Directory, environment: environment)).Build();
        var mqtt = host.Services.GetRequiredService<IOptions<MqttOptions>>().Value;

        Assert.Equal(3883, mqtt.Port);
        Assert.Equal("from-env", mqtt.Username);
    }

    [Fact]
    public void DeployedFiles_OverrideTheDefaults_AndTheEnvironmentOverridesThem()
    {
        using var defaults = new TestSettings();
        using var deployed = new TestSettings("""{ "Telemetry": { "Group": "ИВТ-20-02" }, "Mqtt": { "Port": 2883, "Username": "from-json" } }""");
        File.WriteAllText(Path.Combine(deployed.Directory, "env"), "# secrets\nLABTELEMETRY_Mqtt__Username=from-env-file\nLABTELEMETRY_Mqtt__Password=\"s3cret word\"\nLABTELEMETRY_Mqtt__Port=3883\n");
        var environment = new Dictionary<string, string> { ["LABTELEMETRY_Mqtt__Port"] = "4883" };

        using var host = LabTelemetryHost.CreateBuilder([], ConfigurationPlaces.Isolated(defaults.Directory, deployed.Directory, environment)).Build();
        var mqtt = host.Services.GetRequiredService<IOptions<MqttOptions>>().Value;

        Assert.Equal("ИВТ-20-02", host.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Group);
        Assert.Equal("from-env-file", mqtt.Username);
        Assert.Equal("s3cret word", mqtt.Password);
        Assert.Equal(4883, mqtt.Port);
    }

    [Fact]
    public void ByHand_TheDeployedFilesAreEtcLabtelemetry()
    {
        var places = ConfigurationPlaces.FromEnvironment(new Dictionary<string, string> { ["HOME"] = "/root" });

        Assert.Equal("/etc/labtelemetry", places.Deployed);
        Assert.Equal("/etc/labtelemetry/env", places.EnvironmentFile);
    }

    [Fact]
    public void UnderSystemd_TheConfigurationDirectoryIsRead_AndTheEnvironmentFileIsLeftToSystemd()
    {
        var places = ConfigurationPlaces.FromEnvironment(new Dictionary<string, string> { ["CONFIGURATION_DIRECTORY"] = "/etc/labtelemetry-b:/etc/other" });

        Assert.Equal("/etc/labtelemetry-b", places.Deployed);
        Assert.Null(places.EnvironmentFile);
    }
}
