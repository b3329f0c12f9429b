namespace LabTelemetry.Core.Device;

/// <summary>
/// Whether the device's interface can carry traffic (a carrier and an address), told by the network watcher as it
/// changes; <see cref="CameUp"/> when it becomes able to again, so the connection need not wait out its backoff.
/// </summary>
public sealed class NetworkLink
{
    private const int Unknown = -1;

    private int _usable = Unknown;

    /// <summary>Raised, on the thread that noticed it, when the interface can carry traffic again after it could not.</summary>
    public event Action? CameUp;

    /// <summary>Gets a value indicating whether the interface was last seen with a carrier and an address.</summary>
    public bool IsUsable => Volatile.Read(ref _usable) == 1;

    /// <summary>Takes what the interface looks like now; the first look only sets the start.</summary>
    public void Observe(NetworkState state)
    {
        bool usable = state.Exists && state.IsUp && state.Addresses.Length > 0;
        if (Interlocked.Exchange(ref _usable, usable ? 1 : 0) == 0 && usable)
        {
            CameUp?.Invoke();
        }
    }
}
