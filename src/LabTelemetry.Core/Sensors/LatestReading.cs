namespace LabTelemetry.Core.Sensors;

/// <summary>The newest valid reading: written by the sensor reader, read by the publish loop.</summary>
public sealed class LatestReading
{
    private readonly TaskCompletionSource<SensorReading> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SensorReading? _current;

    public SensorReading? Current => Volatile.Read(ref _current);

    /// <summary>Gets a task that completes with the first valid reading, so the first publish need not wait a whole interval.</summary>
    public Task<SensorReading> First => _first.Task;

    public void Set(SensorReading reading)
    {
        Volatile.Write(ref _current, reading);
        _first.TrySetResult(reading);
    }
}
