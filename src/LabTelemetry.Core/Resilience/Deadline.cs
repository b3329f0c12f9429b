namespace LabTelemetry.Core.Resilience;

/// <summary>A token cancelled by the caller or after a timeout on the injected clock, whichever comes first.</summary>
internal sealed class Deadline : IDisposable
{
    private readonly CancellationToken _caller;
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _linked;

    public Deadline(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        _caller = cancellationToken;
        _timeout = new CancellationTokenSource(timeout, timeProvider);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timeout.Token);
    }

    public CancellationToken Token => _linked.Token;

    /// <summary>Gets a value indicating whether the time ran out (and not the caller who gave up).</summary>
    public bool Expired => _timeout.IsCancellationRequested && !_caller.IsCancellationRequested;

    public void Dispose()
    {
        _linked.Dispose();
        _timeout.Dispose();
    }
}
