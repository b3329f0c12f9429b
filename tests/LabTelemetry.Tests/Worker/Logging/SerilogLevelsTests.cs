using LabTelemetry.Core.Configuration;
using LabTelemetry.Worker.Logging;
using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Events;

namespace LabTelemetry.Tests.Worker.Logging;

public class SerilogLevelsTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => KeyValuePair.Create(p.Key, (string?)p.Value))).Build();

    [Fact]
    public void Apply_DefaultAndOverride_AreHonoured()
    {
        var configuration = Settings(("Serilog:MinimumLevel:Default", "Warning"), ("Serilog:MinimumLevel:Override:LabTelemetry.Core.Telemetry", "Error"));

        using var logger = SerilogLevels.Apply(new LoggerConfiguration(), configuration).CreateLogger();

        Assert.True(logger.IsEnabled(LogEventLevel.Warning));
        Assert.False(logger.IsEnabled(LogEventLevel.Information));
        Assert.False(logger.ForContext("SourceContext", "LabTelemetry.Core.Telemetry.PublishLoop").IsEnabled(LogEventLevel.Warning));
    }

    [Fact]
    public void Apply_PlainLevel_IsTheDefault()
    {
        using var logger = SerilogLevels.Apply(new LoggerConfiguration(), Settings(("Serilog:MinimumLevel", "Debug"))).CreateLogger();

        Assert.True(logger.IsEnabled(LogEventLevel.Debug));
    }

    [Fact]
    public void Apply_UnknownLevel_NamesTheKey()
    {
        var ex = Assert.Throws<ConfigurationException>(() => SerilogLevels.Apply(new LoggerConfiguration(), Settings(("Serilog:MinimumLevel:Override:Microsoft", "Loud"))));

        Assert.StartsWith("Serilog:MinimumLevel:Override:Microsoft: 'Loud' is not a log level", ex.Message, StringComparison.Ordinal);
    }
}
