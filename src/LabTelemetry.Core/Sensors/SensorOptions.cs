using System.ComponentModel.DataAnnotations;
using LabTelemetry.Core.Configuration;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Sensors;

/// <summary>The <c>Sensor</c> section: which thermometer, how often, and what counts as plausible.</summary>
public sealed class SensorOptions
{
    public const string SectionName = "Sensor";

    /// <summary>Gets or sets where temperatures come from.</summary>
    /// <value>The default value is <see cref="SensorKind.Ds18b20"/>.</value>
    [EnumDataType(typeof(SensorKind), ErrorMessage = "Sensor:Kind must be Ds18b20 or Simulated.")]
    public SensorKind Kind { get; set; } = SensorKind.Ds18b20;

    /// <summary>Gets or sets the 1-Wire device to read (<c>28-…</c>).</summary>
    /// <value>The default value is <see langword="null"/>: the one thermometer on the bus.</value>
    [OneWireId(ErrorMessage = "Sensor:Id must look like 28-00000a1b2c3d (family, dash, 12 hex digits), as listed in /sys/bus/w1/devices.")]
    public string? Id { get; set; }

    /// <summary>Gets or sets the time between two reads.</summary>
    /// <value>The default value is <see langword="null"/>: <c>Telemetry:Interval</c>.</value>
    [TimeSpanRange("00:00:00.050", "1.00:00:00")]
    public TimeSpan? ReadInterval { get; set; }

    /// <summary>Gets or sets how long one read may take before it counts as failed.</summary>
    /// <value>The default value is 3 seconds (a 12-bit conversion takes 750 ms).</value>
    [TimeSpanRange("00:00:00.100", "00:01:00")]
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Gets or sets how long a read of the simulated sensor takes, to try the service with a DS18B20's timing (750 ms at 12 bits).</summary>
    /// <value>The default value is zero: an instant read.</value>
    [TimeSpanRange("00:00:00", "00:00:10")]
    public TimeSpan SimulatedReadTime { get; set; } = TimeSpan.Zero;

    /// <summary>Gets or sets the fastest change, in °C per second, that a real room produces.</summary>
    /// <value>The default value is 2 °C/s: a finger on the sensor warms it far slower.</value>
    [Range(0.01, 1000.0)]
    public double MaxRateCelsiusPerSecond { get; set; } = 2.0;

    /// <summary>Gets or sets the GPIO that powers the thermometer (its VDD and its pull-up), so a vanished one can be power-cycled.</summary>
    /// <value>The default value is <see langword="null"/>: the thermometer is on 3.3 V and never cycled.</value>
    [Range(0, 27, ErrorMessage = "Sensor:PowerPin must be a header GPIO, 0–27 (GPIO17 is pin 11).")]
    public int? PowerPin { get; set; }

    /// <summary>Gets or sets how many failed reads in a row (missing, CRC error, all zeros) start a power cycle.</summary>
    /// <value>The default value is 3.</value>
    [Range(1, 1000, ErrorMessage = "Sensor:PowerCycleAfter must be 1–1000 failed reads.")]
    public int PowerCycleAfter { get; set; } = 3;

    /// <summary>Gets or sets the GPIO of the 1-Wire data line (the <c>w1-gpio</c> overlay's <c>gpiopin</c>), which no other pin may take.</summary>
    /// <value>The default value is 4, the overlay's own.</value>
    [Range(0, 27, ErrorMessage = "Sensor:DataPin must be a header GPIO, 0–27, the one dtoverlay=w1-gpio,gpiopin= names.")]
    public int DataPin { get; set; } = 4;
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class SensorOptionsValidator : IValidateOptions<SensorOptions>;
