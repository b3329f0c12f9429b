namespace LabTelemetry.Core.Sensors;

/// <summary>Remembers whether the sensor works, so that a fault is reported when it starts and when it ends, not on every read.</summary>
public sealed class SensorHealth
{
    /// <summary>Gets the current fault, or <see langword="null"/> while readings are good.</summary>
    public SensorFault? Fault { get; private set; }

    /// <summary>Gets how many reads failed since the last good one.</summary>
    public int FailedReads { get; private set; }

    /// <summary>Records a good read; returns <see langword="true"/> when this ends a fault.</summary>
    public bool ReportGood()
    {
        bool recovered = Fault is not null;
        Fault = null;
        FailedReads = 0;
        return recovered;
    }

    /// <summary>Records a failed read; returns <see langword="true"/> when the fault is new.</summary>
    public bool ReportFault(SensorFault fault)
    {
        bool changed = Fault != fault;
        Fault = fault;
        FailedReads++;
        return changed;
    }
}
