using LabTelemetry.Core.Health;
using Microsoft.Extensions.DependencyInjection.Extensions;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Results;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core;

public static class LabTelemetryServiceCollectionExtensions
{
    /// <summary>Everything the service does: options, device identity, sensor, connection and the hosted services.</summary>
    public static IServiceCollection AddLabTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);

        // One call per section, not a generic helper: the configuration binding source generator (trim- and
        // AOT-safe) only replaces calls whose types it can see. Unknown keys are errors: a typo must not pass silently.
        services.AddOptionsWithValidateOnStart<MqttOptions, MqttOptionsValidator>()
            .Bind(configuration.GetSection(MqttOptions.SectionName), StrictBinding);
        services.AddOptionsWithValidateOnStart<DeviceOptions, DeviceOptionsValidator>()
            .Bind(configuration.GetSection(DeviceOptions.SectionName), StrictBinding);
        services.AddOptionsWithValidateOnStart<SensorOptions, SensorOptionsValidator>()
            .Bind(configuration.GetSection(SensorOptions.SectionName), StrictBinding);
        services.AddOptionsWithValidateOnStart<TelemetryOptions, TelemetryOptionsValidator>()
            .Bind(configuration.GetSection(TelemetryOptions.SectionName), StrictBinding);
        services.AddOptionsWithValidateOnStart<ResultsOptions, ResultsOptionsValidator>()
            .Bind(configuration.GetSection(ResultsOptions.SectionName), StrictBinding);
        services.AddOptionsWithValidateOnStart<OutboxOptions, OutboxOptionsValidator>()
            .Bind(configuration.GetSection(OutboxOptions.SectionName), StrictBinding);
        services.AddOptionsWithValidateOnStart<AvailabilityOptions, AvailabilityOptionsValidator>()
            .Bind(configuration.GetSection(AvailabilityOptions.SectionName), StrictBinding);

        services.TryAddSingleton(sp => DeviceIdentity.Resolve(
            sp.GetRequiredService<IOptions<DeviceOptions>>().Value,
            sp.GetRequiredService<IOptions<MqttOptions>>().Value,
            sp.GetRequiredService<IOptions<TelemetryOptions>>().Value,
            sp.GetRequiredService<IOptions<AvailabilityOptions>>().Value,
            NetworkInterfaces.List()));
        services.TryAddSingleton<ITemperatureSensor>(CreateSensor);
        services.AddSingleton<LatestReading>();
        services.TryAddSingleton<IBrokerClient, MqttNetBrokerClient>();
        services.AddSingleton<MqttConnection>();
        services.AddSingleton<DiskOutbox>();
        services.AddSingleton<Liveness>();

        services.AddReconnectPipeline();

        // Hosts stop services in reverse order: the publish loop and the outbox sender first, then the connection
        // says goodbye, and the result subscriber, which registers its topic before the first connect, last.
        services.AddHostedService<ResultSubscriber>();
        services.AddHostedService<ConnectionSupervisor>();
        services.AddHostedService<SensorReader>();
        services.AddHostedService<OutboxSender>();
        services.AddHostedService<PublishLoop>();
        services.AddHostedService<NetworkWatcher>();
        return services;
    }

    private static void StrictBinding(BinderOptions binder) => binder.ErrorOnUnknownConfiguration = true;

    private static ITemperatureSensor CreateSensor(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SensorOptions>>().Value;
        var timeProvider = services.GetRequiredService<TimeProvider>();
        return options.Kind switch
        {
            SensorKind.Simulated => new SimulatedSensor(timeProvider, options.SimulatedReadTime),
            _ => new Ds18b20Sensor(options, timeProvider),
        };
    }
}
