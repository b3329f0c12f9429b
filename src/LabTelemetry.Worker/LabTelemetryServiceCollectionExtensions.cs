using Microsoft.Extensions.DependencyInjection.Extensions;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Results;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using LabTelemetry.Worker.Mqtt;
using LabTelemetry.Worker.Results;
using LabTelemetry.Worker.Sensors;
using LabTelemetry.Worker.Telemetry;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace LabTelemetry.Worker;

public static class LabTelemetryServiceCollectionExtensions
{
    /// <summary>Everything the service does: options, device identity, sensor, connection and the hosted services.</summary>
    public static IServiceCollection AddLabTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);

        services.AddSection<MqttOptions, MqttOptionsValidator>(configuration, MqttOptions.SectionName);
        services.AddSection<DeviceOptions, DeviceOptionsValidator>(configuration, DeviceOptions.SectionName);
        services.AddSection<SensorOptions, SensorOptionsValidator>(configuration, SensorOptions.SectionName);
        services.AddSection<TelemetryOptions, TelemetryOptionsValidator>(configuration, TelemetryOptions.SectionName);
        services.AddSection<ResultsOptions, ResultsOptionsValidator>(configuration, ResultsOptions.SectionName);
        services.AddSection<OutboxOptions, OutboxOptionsValidator>(configuration, OutboxOptions.SectionName);
        services.AddSection<AvailabilityOptions, AvailabilityOptionsValidator>(configuration, AvailabilityOptions.SectionName);

        services.TryAddSingleton(sp => DeviceIdentity.Resolve(sp.GetRequiredService<IOptions<DeviceOptions>>().Value, SystemNetworkInterfaces.List()));
        services.TryAddSingleton<ITemperatureSensor>(CreateSensor);
        services.AddSingleton<LatestReading>();
        services.AddSingleton<MqttConnection>();
        services.AddSingleton<DiskOutbox>();

        services.AddResiliencePipeline(ReconnectPipeline.Name, (builder, context) =>
        {
            var connection = context.ServiceProvider.GetRequiredService<MqttConnection>();
            var logger = context.ServiceProvider.GetRequiredService<ILogger<ConnectionSupervisor>>();
            builder.AddReconnectRetry(
                context.ServiceProvider.GetRequiredService<IOptions<MqttOptions>>().Value.MaxReconnectDelay,
                args =>
                {
                    string problem = args.Outcome.Exception is { } ex ? ConnectProblem.Describe(ex) : "unknown";
                    SupervisorLog.ConnectFailed(logger, connection.Broker, args.AttemptNumber + 1, problem, args.RetryDelay.TotalSeconds);
                    return default;
                });
        });

        // Polly's own telemetry would log every attempt again, with a stack trace; the supervisor's one line says it all.
        // Registered after AddResiliencePipeline, whose own Configure sets the logger factory.
        services.Configure<Polly.Telemetry.TelemetryOptions>(telemetry => telemetry.LoggerFactory = NullLoggerFactory.Instance);

        // Hosts stop services in reverse order: the publish loop and the outbox sender first, then the connection
        // says goodbye, and the result subscriber, which registers its topic before the first connect, last.
        services.AddHostedService<ResultSubscriber>();
        services.AddHostedService<ConnectionSupervisor>();
        services.AddHostedService<SensorReader>();
        services.AddHostedService<OutboxSender>();
        services.AddHostedService<PublishLoop>();
        return services;
    }

    private static void AddSection<TOptions, TValidator>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions> =>
        services.AddOptionsWithValidateOnStart<TOptions, TValidator>()
            .Bind(configuration.GetSection(section), binder => binder.ErrorOnUnknownConfiguration = true);

    private static ITemperatureSensor CreateSensor(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SensorOptions>>().Value;
        var timeProvider = services.GetRequiredService<TimeProvider>();
        return options.Kind switch
        {
            SensorKind.Simulated => new SimulatedSensor(timeProvider),
            _ => new Ds18b20Sensor(options, timeProvider),
        };
    }
}
