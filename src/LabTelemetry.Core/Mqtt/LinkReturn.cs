using LabTelemetry.Core.Device;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// Cuts the reconnect's wait short when the network link comes back, at most once a <see cref="Gap"/>: a link
/// flapping every second gets at most a dozen CONNECTs a minute.
/// </summary>
internal sealed partial class LinkReturn(NetworkLink link, string broker, TimeProvider timeProvider, ILogger logger) : IDisposable
{
    /// <summary>The least time between two attempts the link's return brings forward.</summary>
    public static readonly TimeSpan Gap = TimeSpan.FromSeconds(6);

    // A timer due now would run on the thread that sets it; this is the soonest that does not.
    private static readonly TimeSpan Soonest = TimeSpan.FromTicks(1);

    private readonly object _lock = new();
    private CancellationTokenSource? _reconnecting;
    private ITimer? _early;
    private long _lastEarly;
    private bool _listening;

    /// <summary>A token for one reconnect, cancelled by <paramref name="cancellationToken"/> or by the link's return.</summary>
    public CancellationTokenSource Watch(CancellationToken cancellationToken)
    {
        if (!_listening)
        {
            link.CameUp += OnLinkUp;
            _listening = true;
        }

        var reconnecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Volatile.Write(ref _reconnecting, reconnecting);
        return reconnecting;
    }

    /// <summary>The reconnect <paramref name="reconnecting"/> watched for is over.</summary>
    public void Unwatch(CancellationTokenSource reconnecting) => Interlocked.CompareExchange(ref _reconnecting, null, reconnecting);

    public void Dispose()
    {
        if (_listening)
        {
            link.CameUp -= OnLinkUp;
        }

        lock (_lock)
        {
            _early?.Dispose();
        }
    }

    // On the thread that saw the link come back, which must not run the reconnect: a timer starts the attempt, at
    // once or when the gap has passed. Connected, there is nothing to hurry; an early attempt already planned takes
    // this return along.
    private void OnLinkUp()
    {
        lock (_lock)
        {
            if (Volatile.Read(ref _reconnecting) is null || _early is not null)
            {
                return;
            }

            var wait = _lastEarly == 0 ? TimeSpan.Zero : Gap - timeProvider.GetElapsedTime(_lastEarly);
            _early = timeProvider.CreateTimer(_ => TryNow(), null, wait > Soonest ? wait : Soonest, Timeout.InfiniteTimeSpan);
        }
    }

    private void TryNow()
    {
        CancellationTokenSource? reconnecting;
        lock (_lock)
        {
            _early?.Dispose();
            _early = null;
            reconnecting = Volatile.Read(ref _reconnecting);
            if (reconnecting is null)
            {
                return;
            }

            _lastEarly = timeProvider.GetTimestamp();
        }

        Log.LinkUp(logger, broker);
        try
        {
            reconnecting.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The reconnect finished meanwhile.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Link up: connecting to {Broker} now, not at the backoff's next attempt")]
        public static partial void LinkUp(ILogger logger, string broker);
    }
}
