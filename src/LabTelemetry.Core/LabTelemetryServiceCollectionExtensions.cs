using LabTelemetry.Core.Device;
using LabTelemetry.Core.Health;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Results;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Polly.Registry;

namespace LabTelemetry.Core;

public static class LabTelemetryServiceCollectionExtensions
{
    /// <summary>Everything the service does: options, device identity, sensor, connection and the hosted services.</summary>
    /// <remarks>
    /// Every service is made by a factory that names its closed types (see <see cref="Composition"/>): the container
    /// neither reads constructors by reflection nor closes open generics while the process runs.
    /// </remarks>
    public static IServiceCollection AddLabTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);

        // One call per section, not a generic Bind: the configuration binding source generator (trim- and AOT-safe)
        // only replaces calls whose types it can see. Unknown keys are errors: a typo must not pass silently.
        services.AddSection(configuration, MqttOptions.SectionName, static (section, options) => section.Bind(options, StrictBinding), new MqttOptionsValidator());
        services.AddSection(configuration, DeviceOptions.SectionName, static (section, options) => section.Bind(options, StrictBinding), new DeviceOptionsValidator());
        services.AddSection(configuration, SensorOptions.SectionName, static (section, options) => section.Bind(options, StrictBinding), new SensorOptionsValidator());
        services.AddSection(configuration, TelemetryOptions.SectionName, static (section, options) => section.Bind(options, StrictBinding), new TelemetryOptionsValidator());
        services.AddSection(configuration, ResultsOptions.SectionName, static (section, options) => section.Bind(options, StrictBinding), new ResultsOptionsValidator());
        services.AddSection(configuration, OutboxOptions.SectionName, static (section, options) => section.Bind(options, StrictBinding), new OutboxOptionsValidator());
        services.AddSection(configuration, AvailabilityOptions.SectionName, static (section, options) => section.Bind(options, StrictBinding), new AvailabilityOptionsValidator());

        services.TryAddSingleton(sp => DeviceIdentity.Resolve(
            sp.Options<DeviceOptions>().Value,
            sp.Options<MqttOptions>().Value,
            sp.Options<TelemetryOptions>().Value,
            sp.Options<AvailabilityOptions>().Value,
            NetworkInterfaces.List()));
        services.TryAddSingleton(CreateSensor);
        services.AddSingleton(_ => new LatestReading());
        services.TryAddSingleton<IBrokerClient>(_ => new MqttNetBrokerClient());
        services.AddSingleton(sp => new MqttConnection(
            sp.Get<IBrokerClient>(), sp.Options<MqttOptions>(), sp.Options<AvailabilityOptions>(), sp.Get<DeviceIdentity>(), sp.Get<TimeProvider>(), sp.Logger<MqttConnection>()));
        services.AddSingleton(sp => new DiskOutbox(sp.Options<OutboxOptions>(), sp.Logger<DiskOutbox>(), sp.Get<TimeProvider>()));
        services.AddSingleton(sp => new Liveness(sp.Get<TimeProvider>()));
        services.AddReconnectPipeline();

        // Hosts stop services in reverse order: the publish loop and the outbox sender first, then the connection
        // says goodbye, and the result subscriber, which registers its topic before the first connect, last.
        services.AddHostedService(sp => new ResultSubscriber(
            sp.Get<MqttConnection>(), sp.Options<ResultsOptions>(), sp.Options<TelemetryOptions>(), sp.Get<TimeProvider>(), sp.Logger<ResultSubscriber>()));
        services.AddHostedService(sp => new ConnectionSupervisor(
            sp.Get<MqttConnection>(), sp.Get<ResiliencePipelineProvider<string>>(), sp.Options<MqttOptions>(), sp.Get<Liveness>(), sp.Get<TimeProvider>(), sp.Logger<ConnectionSupervisor>()));
        services.AddHostedService(sp => new SensorReader(
            sp.Get<ITemperatureSensor>(), sp.Get<LatestReading>(), sp.Options<SensorOptions>(), sp.Options<TelemetryOptions>(), sp.Get<Liveness>(), sp.Get<TimeProvider>(), sp.Logger<SensorReader>()));
        services.AddHostedService(sp => new OutboxSender(
            sp.Get<DiskOutbox>(), sp.Get<MqttConnection>(), sp.Options<MqttOptions>(), sp.Get<TimeProvider>(), sp.Logger<OutboxSender>()));
        services.AddHostedService(sp => new PublishLoop(
            sp.Get<LatestReading>(), sp.Get<DiskOutbox>(), sp.Get<DeviceIdentity>(), sp.Options<TelemetryOptions>(), sp.Get<Liveness>(), sp.Get<TimeProvider>(), sp.Logger<PublishLoop>()));
        services.AddHostedService(sp => new NetworkWatcher(sp.Get<DeviceIdentity>(), sp.Options<DeviceOptions>(), sp.Get<TimeProvider>(), sp.Logger<NetworkWatcher>()));
        return services;
    }

    private static void StrictBinding(BinderOptions binder) => binder.ErrorOnUnknownConfiguration = true;

    private static ITemperatureSensor CreateSensor(IServiceProvider services)
    {
        var options = services.Options<SensorOptions>().Value;
        var timeProvider = services.Get<TimeProvider>();
        return options.Kind switch
        {
            SensorKind.Simulated => new SimulatedSensor(timeProvider, options.SimulatedReadTime),
            _ => new Ds18b20Sensor(options, timeProvider),
        };
    }
}
