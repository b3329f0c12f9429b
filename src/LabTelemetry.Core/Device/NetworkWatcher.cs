using System.Net.NetworkInformation;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Device;

/// <summary>
/// Watches the interface (carrier, addresses, MAC), telling <see cref="NetworkLink"/> at once on every change and logging
/// the state each burst settles in. The Wi-Fi itself is NetworkManager's: this only watches.
/// </summary>
internal sealed partial class NetworkWatcher(DeviceIdentity device, NetworkLink link, IOptions<DeviceOptions> options, TimeProvider timeProvider, ILogger<NetworkWatcher> logger) : BackgroundService
{
    // Address changes come in bursts (DHCP, IPv6 autoconfiguration): the log reports the state they settle in.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private NetworkState? _last;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // .NET raises the first for IPv4 addresses, the second for carrier and route changes (IPv6 addresses among them).
        NetworkChange.NetworkAddressChanged += OnChanged;
        NetworkChange.NetworkAvailabilityChanged += OnAvailabilityChanged;
        try
        {
            Report(Look());
            while (await _changed.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await Task.Delay(Settle, timeProvider, stoppingToken).ConfigureAwait(false);
                _changed.Reader.TryRead(out _);
                Report(Look());
            }
        }
        finally
        {
            NetworkChange.NetworkAddressChanged -= OnChanged;
            NetworkChange.NetworkAvailabilityChanged -= OnAvailabilityChanged;
        }
    }

    /// <summary>Reads the interface and tells the link; <see langword="null"/> when it cannot be read.</summary>
    internal NetworkState? Look()
    {
        try
        {
            var state = NetworkInterfaces.State(device.Interface, options.Value.MacFormat);
            link.Observe(state);
            return state;
        }
        catch (NetworkInformationException ex)
        {
            Log.Unreadable(logger, device.Interface, ex.Message);
            return null;
        }
    }

    /// <summary>Logs the interface's state when it differs from what was last logged.</summary>
    internal void Report(NetworkState? state)
    {
        if (state is null || state == _last)
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

    private void OnChanged(object? sender, EventArgs e)
    {
        Look();
        _changed.Writer.TryWrite(true);
    }

    private void OnAvailabilityChanged(object? sender, NetworkAvailabilityEventArgs e) => OnChanged(sender, e);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Network: {Interface} is {State}, {Addresses}, MAC {Mac}")]
        public static partial void State(ILogger logger, string @interface, string state, string addresses, string mac);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Network: {Interface} does not exist (yet); check `nmcli device status`")]
        public static partial void Missing(ILogger logger, string @interface);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Network: cannot read {Interface}: {Problem}")]
        public static partial void Unreadable(ILogger logger, string @interface, string problem);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Network: {Interface} now uses the MAC {Now}, not the card's own {Topic}, which the topic keeps: NetworkManager randomises it unless told not to (README, \"Keep the MAC stable\")")]
        public static partial void MacChanged(ILogger logger, string @interface, string topic, string now);
    }
}
