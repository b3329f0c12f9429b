namespace LabTelemetry.Core.Sensors;

/// <summary>Why no temperature could be taken; each is logged once when it starts and once when it ends.</summary>
public enum SensorFault
{
    /// <summary>No 1-Wire bus: the <c>w1-gpio</c> overlay is off or the module is not loaded.</summary>
    NoBus,

    /// <summary>A bus, but no thermometer on it.</summary>
    NoThermometer,

    /// <summary>Several thermometers and no <c>Sensor:Id</c> to choose one.</summary>
    SeveralThermometers,

    /// <summary>The configured or the earlier thermometer is gone (unplugged).</summary>
    Missing,

    /// <summary>The DS18B20 answered with a CRC mismatch (<c>crc=.. NO</c>).</summary>
    CrcError,

    /// <summary>An all-zero scratchpad: the data line is stuck low, which passes the CRC.</summary>
    StuckLow,

    /// <summary>The read took longer than <c>Sensor:ReadTimeout</c>.</summary>
    Timeout,

    /// <summary>A read that timed out has still not returned (the driver is stuck); no other read starts until it does.</summary>
    Hung,

    /// <summary>85.0 °C, the power-on value, not yet confirmed by the next read.</summary>
    PowerOnReset,

    /// <summary>Outside the DS18B20's −55…125 °C; −127 °C and large negatives come from an unplugged sensor.</summary>
    OutOfRange,

    /// <summary>A change faster than <c>Sensor:MaxRateCelsiusPerSecond</c>.</summary>
    TooFast,

    /// <summary>Anything else the driver or the file system reported.</summary>
    ReadFailed,
}
