using LabTelemetry.Core.Device;
using LabTelemetry.Core.Gpio;
using LabTelemetry.Core.Led;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Results;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Worker.Diagnostics;
using LabTelemetry.Worker.Startup;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Worker.Commands;

/// <summary>
/// What a student runs when something is wrong: one line per finding, ✓ or ✗ with the fix to try, exit code 1
/// when anything is ✗. Every network step has a timeout of seconds.
/// </summary>
internal static class CheckCommand
{
    public static async Task<int> RunAsync(string[] settings)
    {
        bool failed = false;
        void Print(CheckLine line)
        {
            failed |= line.Ok == false;
            Console.Out.WriteLine(line.ToString());
        }

        var builder = LabTelemetryHost.CreateBuilder(settings);
        foreach (var line in ConfigurationReport.Describe(builder.Configuration, settings.Count(s => s.Contains('=', StringComparison.Ordinal))))
        {
            Print(line);
        }

        using var host = builder.Build();
        try
        {
            LabTelemetryHost.ValidateConfiguration(host.Services);
        }
        catch (Exception ex) when (ConfigurationErrors.Describe(ex) is { } problems)
        {
            foreach (string problem in problems)
            {
                Print(CheckLine.Bad(problem, "fix the setting (README, Configuration)"));
            }

            return ExitCodes.Failure;
        }

        var services = host.Services;
        var device = services.GetRequiredService<DeviceIdentity>();
        Print(Network(device, services.GetRequiredService<IOptions<DeviceOptions>>().Value));

        // Before the broker is blamed: a blocked radio, no country or a refused passphrase is the Wi-Fi's fault.
        foreach (var line in await WifiCheck.RunAsync(device.Interface).ConfigureAwait(false))
        {
            Print(line);
        }

        await foreach (var line in OneWireCheck.RunAsync(services.GetRequiredService<IOptions<SensorOptions>>().Value).ConfigureAwait(false))
        {
            Print(line);
        }

        await foreach (var line in GpioCheck.RunAsync(services.GetRequiredService<IOptions<LedOptions>>().Value, services.GetRequiredService<IOptions<SensorOptions>>().Value, services.GetRequiredService<GpioPins>()).ConfigureAwait(false))
        {
            Print(line);
        }

        Print(ClockCheck.Run());

        using var probe = new BrokerProbe(services.GetRequiredService<IOptions<MqttOptions>>().Value, device, "-check");
        var reachable = await probe.TcpAsync().ConfigureAwait(false);
        Print(reachable);
        if (reachable.Ok == true)
        {
            var connected = await probe.ConnectAsync().ConfigureAwait(false);
            Print(connected);
            if (connected.Ok == true)
            {
                Print(await probe.SubscribeAsync(services.GetRequiredService<IOptions<ResultsOptions>>().Value.Topic).ConfigureAwait(false));
                Print(await probe.PublishProbeAsync(device.DataTopic).ConfigureAwait(false));
            }
        }

        return failed ? ExitCodes.Failure : ExitCodes.Ok;
    }

    private static CheckLine Network(DeviceIdentity device, DeviceOptions options)
    {
        var state = NetworkInterfaces.State(device.Interface, options.MacFormat);
        string instead = device.Interface == options.Interface ? string.Empty : $" (Device:Interface {options.Interface} does not exist)";
        string topic = device.DataTopic;
        return state.IsUp
            ? CheckLine.Good($"interface {device.Interface}{instead} is up, {(state.Addresses.Length > 0 ? state.Addresses : "no address")}, MAC {device.Mac}, topic {topic}")
            : CheckLine.Bad($"interface {device.Interface}{instead} is down, MAC {device.Mac}, topic {topic}", "connect the Wi-Fi: deploy/networkmanager/wifi-provision.sh, or `nmcli device status`");
    }
}
