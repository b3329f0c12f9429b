namespace LabTelemetry.Core.Sensors;

/// <summary>Where temperatures come from.</summary>
public enum SensorKind
{
    /// <summary>A DS18B20 on the 1-Wire bus, read through Iot.Device.Bindings.</summary>
    Ds18b20,

    /// <summary>A plausible, slowly drifting temperature for machines without the sensor; only when asked for.</summary>
    Simulated,
}
