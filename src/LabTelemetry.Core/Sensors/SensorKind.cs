namespace LabTelemetry.Core.Sensors;

/// <summary>Where temperatures come from.</summary>
public enum SensorKind
{
    /// <summary>A DS18B20 on the 1-Wire bus: found through Iot.Device.Bindings, read from its <c>w1_slave</c>.</summary>
    Ds18b20,

    /// <summary>A plausible, slowly drifting temperature for machines without the sensor; only when asked for.</summary>
    Simulated,
}
