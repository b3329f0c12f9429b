using MQTTnet;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// Where the one connection stands, and the one place that moves it; remembers how the last connection ended and how
/// long it lasted.
/// </summary>
internal sealed class ConnectionStateMachine(TimeProvider timeProvider)
{
    // Connected opens the way for publishers, Unhealthy and a drop wake the supervisor, and Stopping is final so
    // that our own goodbye is not taken for a drop.
    private readonly object _lock = new();
    private ConnectionState _state = ConnectionState.Connecting;
    private TaskCompletionSource _troubled = NewSignal();
    private TaskCompletionSource _connected = NewSignal();
    private long _connectedAt;
    private ConnectionDrop? _lastDrop;

    /// <summary>Raised, outside the lock, after the state moved: for those who only show it (the status LED).</summary>
    public event Action? Changed;

    public ConnectionState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Moves to <paramref name="next"/>; nothing leaves Stopping, and only a connected link can become unhealthy.</summary>
    public void MoveTo(ConnectionState next)
    {
        lock (_lock)
        {
            if (_state == ConnectionState.Stopping || (next == ConnectionState.Unhealthy && _state != ConnectionState.Connected))
            {
                return;
            }

            var before = _state;
            _state = next;
            switch (next)
            {
                case ConnectionState.Connected:
                    _connectedAt = before == ConnectionState.Connecting ? timeProvider.GetTimestamp() : _connectedAt;
                    _troubled = NewIfDone(_troubled);
                    _connected.TrySetResult();
                    break;
                case ConnectionState.Connecting:
                    _connected = NewIfDone(_connected);
                    break;
                case ConnectionState.Unhealthy:
                    _troubled.TrySetResult();
                    break;
            }
        }

        Changed?.Invoke();
    }

    /// <summary>The link is gone (the broker or the network dropped it, or it stopped answering): back to Connecting.</summary>
    /// <returns><see langword="false"/> when we are stopping, so the drop is our own goodbye.</returns>
    public bool Dropped(MqttClientDisconnectReason reason)
    {
        lock (_lock)
        {
            if (_state is ConnectionState.Connected or ConnectionState.Unhealthy)
            {
                _lastDrop = new ConnectionDrop(reason, timeProvider.GetElapsedTime(_connectedAt));
            }

            if (_state == ConnectionState.Stopping)
            {
                return false;
            }

            _state = ConnectionState.Connecting;
            _connected = NewIfDone(_connected);
            _troubled.TrySetResult();
        }

        Changed?.Invoke();
        return true;
    }

    /// <summary>Returns how the last connection ended (once; <see langword="null"/> when none ended since).</summary>
    public ConnectionDrop? TakeLastDrop()
    {
        lock (_lock)
        {
            var drop = _lastDrop;
            _lastDrop = null;
            return drop;
        }
    }

    /// <summary>Completes once the connection is up (at once when it already is).</summary>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _connected.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Completes when the connection drops or looks unhealthy, or after <paramref name="atMost"/>, whichever comes first.</summary>
    public async Task WaitForTroubleAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        Task troubled;
        lock (_lock)
        {
            troubled = _troubled.Task;
        }

        try
        {
            await troubled.WaitAsync(atMost, timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Time for the next health check.
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource NewIfDone(TaskCompletionSource signal) => signal.Task.IsCompleted ? NewSignal() : signal;
}
