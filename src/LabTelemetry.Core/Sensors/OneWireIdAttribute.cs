using System.ComponentModel.DataAnnotations;

namespace LabTelemetry.Core.Sensors;

/// <summary>
/// A 1-Wire device id as the kernel lists it in <c>/sys/bus/w1/devices</c>: two hex digits of family, a dash, twelve
/// of serial (<c>28-00000a1b2c3d</c>). Checked by hand rather than with <c>[RegularExpression]</c>, which starts the
/// regex engine at every start-up.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OneWireIdAttribute : ValidationAttribute
{
    // Empty passes: an empty Sensor:Id means the one thermometer on the bus.
    public override bool IsValid(object? value) =>
        value is not string { Length: > 0 } id || (id.Length == 15 && id[2] == '-' && id.Where((_, i) => i != 2).All(char.IsAsciiHexDigit));
}
