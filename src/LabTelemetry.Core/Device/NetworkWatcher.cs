using System.Net.NetworkInformation;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Device;

/// <summary>
/// Logs the network as the device sees it (interface, up or down, addresses, MAC) at start and whenever it
/// changes, and warns when the interface's MAC no longer matches the one in the topic (NetworkManager's MAC
/// randomisation). The Wi-Fi itself is NetworkManager's business; this only reports.
/// </summary>
internal sealed partial class NetworkWatcher(DeviceIdentity device, IOptions<DeviceOptions> options, TimeProvider timeProvider, ILogger<NetworkWatcher> logger) : BackgroundService
{
    // Address changes come in bursts (DHCP, IPv6 autoconfiguration): report the state they settle in.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private NetworkState? _last;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        NetworkChange.NetworkAddressChanged += OnChanged;
        try
        {
            Report();
            while (await _changed.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await Task.Delay(Settle, timeProvider, stoppingToken).ConfigureAwait(false);
                _changed.Reader.TryRead(out _);
                Report();
            }
        }
        finally
        {
            NetworkChange.NetworkAddressChanged -= OnChanged;
        }
    }

    /// <summary>Logs the interface's state when it differs from what was last logged.</summary>
    internal void Report()
    {
        NetworkState state;
        try
        {
            state = NetworkInterfaces.State(device.Interface, options.Value.MacFormat);
        }
        catch (NetworkInformationException ex)
        {
            Log.Unreadable(logger, device.Interface, ex.Message);
            return;
        }

        if (state == _last)
        {
            return;
        }

        if (!state.Exists)
        {
            Log.Missing(logger, state.Interface);
        }
        else
        {
            Log.State(logger, state.Interface, state.IsUp ? "up" : "down", state.Addresses.Length > 0 ? state.Addresses : "no address", state.Mac);
        }

        if (state.Exists && device.Mac.Length > 0 && !string.Equals(state.Mac, device.Mac, StringComparison.OrdinalIgnoreCase) && state.Mac != _last?.Mac)
        {
            Log.MacChanged(logger, state.Interface, device.Mac, state.Mac);
        }

        _last = state;
    }

    private void OnChanged(object? sender, EventArgs e) => _changed.Writer.TryWrite(true);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Network: {Interface} is {State}, {Addresses}, MAC {Mac}")]
        public static partial void State(ILogger logger, string @interface, string state, string addresses, string mac);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Network: {Interface} does not exist (yet); check `nmcli device status`")]
        public static partial void Missing(ILogger logger, string @interface);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Network: cannot read {Interface}: {Problem}")]
        public static partial void Unreadable(ILogger logger, string @interface, string problem);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Network: the MAC of {Interface} is now {Now}, but the topic uses {Topic}: NetworkManager randomises it unless told not to (README, \"Keep the MAC stable\"); restart the service to follow it")]
        public static partial void MacChanged(ILogger logger, string @interface, string topic, string now);
    }
}
