using LabTelemetry.Core;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Gpio;
using LabTelemetry.Core.HomeAssistant;
using LabTelemetry.Core.Led;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Results;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using LabTelemetry.Worker.Systemd;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Worker.Startup;

/// <summary>Where configuration comes from, and the check that it can work before anything starts.</summary>
internal static class LabTelemetryHost
{
    public const string SettingsFile = "appsettings.json";

    /// <summary>
    /// A host builder reading, each over the one before: appsettings.json next to the binaries, the deployed
    /// <c>/etc/labtelemetry/appsettings.json</c>, the deployed <c>/etc/labtelemetry/env</c> (read by hand; under
    /// systemd its <c>EnvironmentFile=</c> did), <c>LABTELEMETRY_</c> environment variables, then the command line.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string[] args, ConfigurationPlaces? places = null)
    {
        places ??= ConfigurationPlaces.ForThisMachine();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });

        IConfigurationBuilder sources = builder.Configuration;
        sources.AddJsonFile(Path.Combine(places.Defaults, SettingsFile), optional: false, reloadOnChange: false);
        if (places.Deployed is { } deployed)
        {
            sources.AddJsonFile(Path.Combine(deployed, SettingsFile), optional: true, reloadOnChange: false);
        }

        if (places.EnvironmentFile is { } file && File.Exists(file))
        {
            // Mode 0600: a person who is not root cannot read the secrets; check says so and carries on without them.
            try
            {
                sources.Add(new PrefixedVariables(file, PrefixedVariables.ReadEnvironmentFile(file)));
            }
            catch (UnauthorizedAccessException)
            {
                sources.Add(new PrefixedVariables(file, [], readable: false));
            }
        }

        sources.Add(new PrefixedVariables("the environment", places.Environment));
        sources.AddCommandLine(args);

        builder.Services.AddLabTelemetry(builder.Configuration).AddSystemdIntegration();
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
        Try(() => services.GetRequiredService<IOptions<HomeAssistantOptions>>().Value);
        Try(() => services.GetRequiredService<IOptions<GpioOptions>>().Value);
        Try(() => services.GetRequiredService<IOptions<LedOptions>>().Value);
        if (problems.Count == 0)
        {
            // Resolve the device's MAC, load the CA file and open the outbox directory: each can fail for reasons a person must fix.
            Try(services.GetRequiredService<MqttConnection>);
            Try(services.GetRequiredService<DiskOutbox>);
            Try(services.GetRequiredService<GpioPins>); // the pins against each other; opens none
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
