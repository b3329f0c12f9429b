using System.ComponentModel.DataAnnotations;

namespace LabTelemetry.Core.Device;

/// <summary>
/// One MQTT topic level: no whitespace, no '/' and no wildcard. Checked by hand rather than with
/// <c>[RegularExpression]</c>, which starts the regex engine at every start-up for one character class.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TopicLevelAttribute : ValidationAttribute
{
    // Empty passes: an empty Device:Id means the MAC.
    public override bool IsValid(object? value) =>
        value is not string level || !level.Any(c => char.IsWhiteSpace(c) || c is '/' or '#' or '+');
}
