namespace LabTelemetry.Core.Sensors;

/// <summary>A read that gave no temperature, with the fault and a sentence a person can act on.</summary>
public sealed class SensorException(SensorFault fault, string message, Exception? inner = null) : Exception(message, inner)
{
    public SensorFault Fault { get; } = fault;
}
