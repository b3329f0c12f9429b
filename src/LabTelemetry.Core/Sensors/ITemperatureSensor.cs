namespace LabTelemetry.Core.Sensors;

/// <summary>One thermometer.</summary>
public interface ITemperatureSensor
{
    /// <summary>Gets a name for logs: the 1-Wire id, or "simulated".</summary>
    string Name { get; }

    /// <summary>Reads once, in °C; throws <see cref="SensorException"/> when no temperature could be taken.</summary>
    Task<double> ReadCelsiusAsync(CancellationToken cancellationToken);
}
