namespace LabTelemetry.Core.Mqtt;

/// <summary>A token cancelled by the caller or after a timeout on the injected clock, whichever comes first.</summary>
internal sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _linked;

    public Deadline(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        _timeout = new CancellationTokenSource(timeout, timeProvider);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timeout.Token);
    }

    public CancellationToken Token => _linked.Token;

    public void Dispose()
    {
        _linked.Dispose();
        _timeout.Dispose();
    }
}
