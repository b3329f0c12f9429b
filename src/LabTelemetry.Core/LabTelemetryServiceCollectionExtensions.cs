using LabTelemetry.Core.Delivery;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Gpio;
using LabTelemetry.Core.Health;
using LabTelemetry.Core.HomeAssistant;
using LabTelemetry.Core.Led;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Resilience;
using LabTelemetry.Core.Results;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LabTelemetry.Core;

public static class LabTelemetryServiceCollectionExtensions
{
    /// <summary>Everything the service does: options, device identity, sensor, connection and the hosted services.</summary>
    /// <remarks>
    /// The composition root: the one place that knows every concept, and hands each the values it needs from the
    /// others (the publish interval to the sensor, the group to the results, the topic templates to the device), so
    /// that the concepts themselves lean only on those below them. Every service is made by a factory that names its
    /// closed types (see <see cref="Composition"/>): the container neither reads constructors by reflection nor closes
    /// open generics while the process runs.
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
        services.AddSection(configuration, HomeAssistantOptions.SectionName, static (section, options) => section.Bind(options, StrictBinding), new HomeAssistantOptionsValidator());
        services.AddSection(configuration, GpioOptions.SectionName, static (section, options) => section.Bind(options, StrictBinding), new GpioOptionsValidator());
        services.AddSection(configuration, LedOptions.SectionName, static (section, options) => section.Bind(options, StrictBinding), new LedOptionsValidator());

        services.TryAddSingleton(sp =>
        {
            var availability = sp.Section<AvailabilityOptions>().Value;
            return DeviceIdentity.Resolve(
                sp.Section<DeviceOptions>().Value,
                sp.Section<MqttOptions>().Value.ClientId,
                sp.Section<TelemetryOptions>().Value.Topic,
                availability.Enabled ? availability.Topic : null,
                NetworkInterfaces.List());
        });
        services.TryAddSingleton(CreateSensor);
        services.AddSingleton(_ => new LatestReading());
        services.TryAddSingleton<IBrokerClient>(_ => new MqttNetBrokerClient());
        services.AddSingleton(sp => new MqttConnection(
            sp.Get<IBrokerClient>(), sp.Section<MqttOptions>(), sp.Section<AvailabilityOptions>(), sp.Get<DeviceIdentity>(), sp.Get<TimeProvider>(), sp.Logger<MqttConnection>()));
        services.AddSingleton(sp => new DiskOutbox(sp.Section<OutboxOptions>(), sp.Logger<DiskOutbox>(), sp.Get<TimeProvider>(), [AnnouncedTopic.FileName]));
        services.AddSingleton(sp => new Liveness(sp.Get<TimeProvider>()));
        services.AddSingleton(_ => new NetworkLink());
        services.AddSingleton(CreatePins);
        services.AddSingleton(sp => new SensorReader(
            sp.Get<ITemperatureSensor>(), sp.Get<LatestReading>(), sp.Section<SensorOptions>(), sp.Section<TelemetryOptions>().Value.Interval, sp.Get<Liveness>(), sp.Get<TimeProvider>(), sp.Logger<SensorReader>(), CreatePowerCycler(sp)));
        services.AddSingleton(CreateStatusLed);

        // The LED first, so that it is stopped last: dark once everything else has ended.
        services.AddHostedService(sp => sp.Get<StatusLed>());

        // Hosts stop services in reverse order: the publish loop and the outbox sender first, then the connection
        // says goodbye, and the result subscriber, which registers its topic before the first connect, last.
        services.AddHostedService(sp => new DiscoveryAnnouncer(
            sp.Get<MqttConnection>(), sp.Section<HomeAssistantOptions>().Value, Announcement(sp), new AnnouncedTopic(sp.Get<DiskOutbox>().Directory), sp.Section<MqttOptions>().Value.OperationTimeout, sp.Logger<DiscoveryAnnouncer>()));
        services.AddHostedService(sp => new ResultSubscriber(
            sp.Get<MqttConnection>(), sp.Section<ResultsOptions>(), sp.Section<TelemetryOptions>().Value.Group, sp.Get<TimeProvider>(), sp.Logger<ResultSubscriber>(), sp.Get<StatusLed>().Answered));
        services.AddHostedService(sp => new ConnectionSupervisor(
            sp.Get<MqttConnection>(), Retrying(sp.Section<MqttOptions>().Value, ConnectionSupervisor.StableConnection), sp.Get<NetworkLink>(), sp.Section<MqttOptions>(), sp.Get<Liveness>(), sp.Get<TimeProvider>(), sp.Logger<ConnectionSupervisor>()));
        services.AddHostedService(sp => sp.Get<SensorReader>());
        services.AddHostedService(sp => new OutboxSender(
            sp.Get<DiskOutbox>(), sp.Get<MqttConnection>(), Retrying(sp.Section<MqttOptions>().Value), sp.Section<MqttOptions>().Value.OperationTimeout, sp.Get<TimeProvider>(), sp.Logger<OutboxSender>(), sp.Get<StatusLed>().Acknowledged));
        services.AddHostedService(sp => new PublishLoop(
            sp.Get<LatestReading>(), sp.Get<DiskOutbox>(), sp.Get<DeviceIdentity>(), sp.Section<TelemetryOptions>(), sp.Get<Liveness>(), sp.Get<TimeProvider>(), sp.Logger<PublishLoop>()));
        services.AddHostedService(sp => new NetworkWatcher(sp.Get<DeviceIdentity>(), sp.Get<NetworkLink>(), sp.Section<DeviceOptions>(), sp.Get<TimeProvider>(), sp.Logger<NetworkWatcher>()));
        return services;
    }

    /// <summary>The pace of trying the broker again: from a second up to <c>Mqtt:MaxReconnectDelay</c>.</summary>
    internal static Backoff Retrying(MqttOptions mqtt, TimeSpan stableAfter = default) =>
        new(TimeSpan.FromSeconds(1), mqtt.MaxReconnectDelay, stableAfter);

    private static void StrictBinding(BinderOptions binder) => binder.ErrorOnUnknownConfiguration = true;

    // The thermometer as Home Assistant is told of it: the device's names, the publish interval and the status payloads.
    private static (string Topic, byte[] Payload) Announcement(IServiceProvider services)
    {
        var device = services.Get<DeviceIdentity>();
        var availability = services.Section<AvailabilityOptions>().Value;
        return (
            DiscoveryConfig.Topic(services.Section<HomeAssistantOptions>().Value.Prefix, device),
            DiscoveryConfig.Payload(device, services.Section<TelemetryOptions>().Value.Interval, (availability.Online, availability.Offline)));
    }

    /// <summary>The pace of power cycles that did not bring the thermometer back: from a minute up to half an hour.</summary>
    internal static Backoff PowerCycling() => new(PowerCycler.AtMostEvery, TimeSpan.FromMinutes(30));

    // The pins are checked against each other (and the 1-Wire data line) at start, before any is opened.
    private static GpioPins CreatePins(IServiceProvider services)
    {
        var sensor = services.Section<SensorOptions>().Value;
        GpioPins.CheckDistinct(("Led:Pin", services.Section<LedOptions>().Value.Pin), ("Sensor:PowerPin", sensor.PowerPin), ("Sensor:DataPin", sensor.DataPin));
        return new GpioPins(services.Section<GpioOptions>().Value, services.Logger<GpioPins>());
    }

    private static PowerCycler? CreatePowerCycler(IServiceProvider services)
    {
        var options = services.Section<SensorOptions>().Value;
        var pins = services.Get<GpioPins>();
        return options.PowerPin is { } power && pins.TryOpen("Sensor:PowerPin", power, activeLow: false, restOn: true) is { } pin
            ? new PowerCycler(pin, options.PowerCycleAfter, PowerCycling(), services.Get<TimeProvider>(), services.Logger<PowerCycler>())
            : null;
    }

    // Always made, so the others can tell it what they do; without Led:Pin its loop ends at once and opens nothing.
    private static StatusLed CreateStatusLed(IServiceProvider services)
    {
        var options = services.Section<LedOptions>().Value;
        var pins = services.Get<GpioPins>();
        var sensor = services.Get<SensorReader>();
        var connection = services.Get<MqttConnection>();
        var led = new StatusLed(
            () => options.Pin is { } pin ? pins.TryOpen("Led:Pin", pin, options.ActiveLow, restOn: false) : null,
            () => sensor.IsFaulty,
            () => connection.State is ConnectionState.Connected or ConnectionState.Unhealthy,
            services.Get<TimeProvider>(),
            services.Logger<StatusLed>());
        sensor.FaultChanged += led.Changed;
        connection.StateChanged += led.Changed;
        return led;
    }

    private static ITemperatureSensor CreateSensor(IServiceProvider services)
    {
        var options = services.Section<SensorOptions>().Value;
        var timeProvider = services.Get<TimeProvider>();
        return options.Kind switch
        {
            SensorKind.Simulated => new SimulatedSensor(timeProvider, options.SimulatedReadTime),
            _ => new Ds18b20Sensor(options, timeProvider),
        };
    }
}
