using System.Diagnostics;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Core.Telemetry;
using LabTelemetry.Worker.Diagnostics;
using LabTelemetry.Worker.Startup;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Worker.Commands;

/// <summary>One reading, shown and published once: read the sensor, print topic and exact payload, publish, wait for the acknowledgement.</summary>
internal static class OnceCommand
{
    // A DS18B20 may answer the power-on 85 °C first; the next read tells.
    private const int Reads = 3;

    public static async Task<int> RunAsync(string[] settings, bool dryRun)
    {
        using var host = LabTelemetryHost.CreateBuilder(settings).Build();
        LabTelemetryHost.ValidateConfiguration(host.Services);
        var services = host.Services;
        var telemetry = services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        var sensorOptions = services.GetRequiredService<IOptions<SensorOptions>>().Value;
        var device = services.GetRequiredService<DeviceIdentity>();

        var reading = await ReadAsync(services.GetRequiredService<ITemperatureSensor>(), sensorOptions).ConfigureAwait(false);
        if (reading is not { } celsius)
        {
            return ExitCodes.Unavailable;
        }

        string topic = device.DataTopic;
        byte[] payload = LabPayload.Serialize(celsius, telemetry.Students, telemetry.Group, telemetry.Decimals);
        Console.Out.WriteLine($"topic:   {topic}");
        Console.Out.WriteLine($"payload: {System.Text.Encoding.UTF8.GetString(payload)}");
        if (dryRun)
        {
            return ExitCodes.Ok;
        }

        var mqtt = services.GetRequiredService<IOptions<MqttOptions>>().Value;
        using var probe = new BrokerProbe(mqtt, device, "-once");
        var connected = await probe.ConnectAsync().ConfigureAwait(false);
        if (connected.Ok != true)
        {
            Console.Out.WriteLine(connected.ToString());
            return ExitCodes.Unavailable;
        }

        // The service's own publish path: the same message, and the broker's answer in the same words.
        var watch = Stopwatch.StartNew();
        var outcome = await new Publisher(probe.Client, probe.Broker, mqtt.IsVersion5, TimeProvider.System)
            .PublishAsync(topic, payload, telemetry.Qos, mqtt.OperationTimeout, CancellationToken.None).ConfigureAwait(false);
        if (outcome.Verdict != PublishVerdict.Delivered)
        {
            Console.Out.WriteLine(CheckLine.Bad(outcome.Problem!, "check the broker's ACL for this topic, and the link to it (Mqtt:OperationTimeout)").ToString());
            return ExitCodes.Unavailable;
        }

        string how = telemetry.Qos == 0 ? "sent (QoS 0 has no acknowledgement)" : $"acknowledged in {watch.ElapsedMilliseconds} ms";
        Console.Out.WriteLine(CheckLine.Good($"published to {probe.Broker}, {how}").ToString());
        return ExitCodes.Ok;
    }

    private static async Task<double?> ReadAsync(ITemperatureSensor sensor, SensorOptions options)
    {
        var validator = new ReadingValidator(options.MaxRateCelsiusPerSecond, TimeProvider.System);
        SensorException? last = null;
        for (int i = 0; i < Reads; i++)
        {
            try
            {
                double celsius = await sensor.ReadCelsiusAsync(CancellationToken.None).ConfigureAwait(false);
                return validator.Validate(celsius).Celsius;
            }
            catch (SensorException ex) when (ex.Fault is SensorFault.PowerOnReset or SensorFault.CrcError)
            {
                last = ex;
            }
            catch (SensorException ex)
            {
                last = ex;
                break;
            }
        }

        Console.Out.WriteLine(CheckLine.Bad($"sensor {sensor.Name}: {last!.Fault}: {last.Message}", "run `check` for the 1-Wire setup; or --Sensor:Kind=Simulated to try without the sensor").ToString());
        return null;
    }
}
