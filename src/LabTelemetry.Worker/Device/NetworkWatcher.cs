using System.Net.NetworkInformation;
using System.Threading.Channels;
using LabTelemetry.Core.Device;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Worker.Device;

/// <summary>
/// Logs the network as the device sees it (interface, up or down, addresses, MAC) at start and whenever it
/// changes, and warns when the interface's MAC no longer matches the one in the topic (NetworkManager's MAC
/// randomisation). The Wi-Fi itself is NetworkManager's business; this only reports.
/// </summary>
internal sealed class NetworkWatcher(DeviceIdentity device, IOptions<DeviceOptions> options, TimeProvider timeProvider, ILogger<NetworkWatcher> logger) : BackgroundService
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
            state = NetworkState.Read(device.Interface, options.Value.MacFormat);
        }
        catch (NetworkInformationException ex)
        {
            NetworkLog.Unreadable(logger, device.Interface, ex.Message);
            return;
        }

        if (state == _last)
        {
            return;
        }

        if (!state.Exists)
        {
            NetworkLog.Missing(logger, state.Interface);
        }
        else
        {
            NetworkLog.State(logger, state.Interface, state.IsUp ? "up" : "down", state.Addresses.Length > 0 ? state.Addresses : "no address", state.Mac);
        }

        if (state.Exists && device.Mac.Length > 0 && !string.Equals(state.Mac, device.Mac, StringComparison.OrdinalIgnoreCase) && state.Mac != _last?.Mac)
        {
            NetworkLog.MacChanged(logger, state.Interface, device.Mac, state.Mac);
        }

        _last = state;
    }

    private void OnChanged(object? sender, EventArgs e) => _changed.Writer.TryWrite(true);
}
