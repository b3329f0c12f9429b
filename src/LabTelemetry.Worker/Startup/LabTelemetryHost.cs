using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Results;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Worker.Startup;

/// <summary>Where configuration comes from, and the check that it can work before anything starts.</summary>
internal static class LabTelemetryHost
{
    public const string SettingsFile = "appsettings.json";
    public const string EnvironmentPrefix = "LABTELEMETRY_";

    /// <summary>
    /// A host builder reading, each over the one before: appsettings.json next to the binaries, the optional
    /// appsettings.json in systemd's <c>ConfigurationDirectory</c> (<c>/etc/labtelemetry</c>),
    /// <c>LABTELEMETRY_</c> environment variables (<c>__</c> separates levels), then the command line.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string[] args, string? settingsDirectory = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });

        string settingsPath = Path.Combine(settingsDirectory ?? AppContext.BaseDirectory, SettingsFile);
        builder.Configuration.AddJsonFile(settingsPath, optional: false, reloadOnChange: false);
        if (Environment.GetEnvironmentVariable("CONFIGURATION_DIRECTORY") is { Length: > 0 } systemdConfiguration)
        {
            // systemd may pass several directories separated by ':'; ours is the first.
            builder.Configuration.AddJsonFile(Path.Combine(systemdConfiguration.Split(':')[0], SettingsFile), optional: true, reloadOnChange: false);
        }

        builder.Configuration
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddCommandLine(args);

        builder.Services.AddSystemd();
        builder.Services.AddLabTelemetry(builder.Configuration);
        return builder;
    }

    /// <summary>Binds and validates every section and resolves the device's identity, so a bad setting stops us before we connect.</summary>
    /// <remarks>Every section is tried, so one run reports every problem, not only the first.</remarks>
    public static void ValidateConfiguration(IServiceProvider services)
    {
        var problems = new List<Exception>();
        Try(() => services.GetRequiredService<IOptions<MqttOptions>>().Value);
        Try(() => services.GetRequiredService<IOptions<DeviceOptions>>().Value);
        Try(() => services.GetRequiredService<IOptions<SensorOptions>>().Value);
        Try(() => services.GetRequiredService<IOptions<TelemetryOptions>>().Value);
        Try(() => services.GetRequiredService<IOptions<ResultsOptions>>().Value);
        Try(() => services.GetRequiredService<IOptions<OutboxOptions>>().Value);
        Try(() => services.GetRequiredService<IOptions<AvailabilityOptions>>().Value);
        if (problems.Count == 0)
        {
            // Resolve the device's MAC, load the CA file and open the outbox directory: each can fail for reasons a person must fix.
            Try(() => services.GetRequiredService<MqttConnection>());
            Try(() => services.GetRequiredService<DiskOutbox>());
        }

        if (problems.Count > 0)
        {
            throw new AggregateException(problems);
        }

        void Try(Func<object> resolve)
        {
            try
            {
                resolve();
            }
            catch (Exception ex) when (ConfigurationErrors.Describe(ex) is not null)
            {
                problems.Add(ex);
            }
        }
    }
}
