using System.ComponentModel.DataAnnotations;

namespace LabTelemetry.Core.Sensors;

/// <summary>
/// A 1-Wire device id as the kernel lists it in <c>/sys/bus/w1/devices</c>: family, a dash, twelve hex digits of
/// serial (<c>28-00000a1b2c3d</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OneWireIdAttribute : ValidationAttribute
{
    // By hand: a [RegularExpression] would start the regex engine at every start-up.
    // Empty passes: an empty Sensor:Id means the one thermometer on the bus.
    public override bool IsValid(object? value) =>
        value is not string { Length: > 0 } id || (id.Length == 15 && id[2] == '-' && id.Where((_, i) => i != 2).All(char.IsAsciiHexDigit));
}
