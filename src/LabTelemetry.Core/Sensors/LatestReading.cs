namespace LabTelemetry.Core.Sensors;

/// <summary>
/// The newest valid reading, written by the sensor reader and read by the publish loop, whose tick also asks for
/// each read when reads follow the publish schedule: one timer wake a tick instead of two.
/// </summary>
public sealed class LatestReading
{
    private readonly TaskCompletionSource<SensorReading> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SensorReading? _current;
    private Action? _read;

    /// <summary>The sensor reader: how to start a read when one is asked for.</summary>
    public void OnReadRequested(Action read) => Volatile.Write(ref _read, read);

    /// <summary>The publish loop's tick: start the next read (it runs on in the background when it must wait for the sensor).</summary>
    public void RequestRead() => Volatile.Read(ref _read)?.Invoke();

    public SensorReading? Current => Volatile.Read(ref _current);

    /// <summary>Gets a task that completes with the first valid reading, so the first publish need not wait a whole interval.</summary>
    public Task<SensorReading> First => _first.Task;

    public void Set(SensorReading reading)
    {
        Volatile.Write(ref _current, reading);
        _first.TrySetResult(reading);
    }
}
