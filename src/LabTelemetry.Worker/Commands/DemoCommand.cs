using LabTelemetry.Worker.Demo;
using LabTelemetry.Worker.Logging;
using LabTelemetry.Worker.Startup;

namespace LabTelemetry.Worker.Commands;

/// <summary>
/// The whole loop on one machine: a built-in broker, the simulated sensor, the real publish loop and result
/// subscriber, and a grader emulator. Needs no network, sensor or configuration.
/// </summary>
internal static class DemoCommand
{
    public static async Task<int> RunAsync(string[] settings)
    {
        await using var broker = await EmbeddedBroker.StartAsync().ConfigureAwait(false);
        string outbox = Path.Combine(Path.GetTempPath(), $"labtelemetry-demo-{Environment.ProcessId}");
        var builder = LabTelemetryHost.CreateBuilder(settings).AddConsoleLogging();

        // Defaults a demo needs (the command line still wins), then what a demo must be: local and simulated.
        var configuration = builder.Configuration;
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Telemetry:Interval"] = "00:00:02",
            ["Telemetry:Group"] = string.IsNullOrWhiteSpace(configuration["Telemetry:Group"]) ? "БАГ-18-01" : configuration["Telemetry:Group"],
            ["Telemetry:Students:0"] = configuration.GetSection("Telemetry:Students").GetChildren().Any() ? configuration["Telemetry:Students:0"] : "Иванов И.И",
        });
        configuration.AddCommandLine(settings);
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mqtt:Host"] = "127.0.0.1",
            ["Mqtt:Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mqtt:UseTls"] = "false",
            ["Mqtt:CaFile"] = null,
            ["Sensor:Kind"] = "Simulated",
            ["Outbox:Directory"] = outbox,
        });
        builder.Services.AddSingleton(broker);
        builder.Services.AddHostedService<GraderEmulator>();

        try
        {
            using var host = builder.Build();
            LabTelemetryHost.ValidateConfiguration(host.Services);
            var logger = host.Services.GetRequiredService<ILogger<EmbeddedBroker>>();
            DemoLog.Started(logger, broker.Port);
            await host.RunAsync().ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        finally
        {
            if (Directory.Exists(outbox))
            {
                Directory.Delete(outbox, recursive: true);
            }
        }
    }
}
