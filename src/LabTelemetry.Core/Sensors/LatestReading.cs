namespace LabTelemetry.Core.Sensors;

/// <summary>The newest valid reading: written by the sensor reader, read by the publish loop.</summary>
public sealed class LatestReading
{
    private SensorReading? _current;

    public SensorReading? Current => Volatile.Read(ref _current);

    public void Set(SensorReading reading) => Volatile.Write(ref _current, reading);
}
