using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace LabTelemetry.Core.Configuration;

/// <summary>
/// A duration between two bounds, written as TimeSpans (<c>"00:00:05"</c>). Unlike <c>[Range(typeof(TimeSpan), …)]</c>
/// it needs no reflection, so it survives trimming and NativeAOT.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TimeSpanRangeAttribute(string minimum, string maximum) : ValidationAttribute
{
    public TimeSpan Minimum { get; } = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);

    public TimeSpan Maximum { get; } = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);

    public override bool IsValid(object? value) => value is not TimeSpan span || (span >= Minimum && span <= Maximum);

    // Same wording as [Range], so startup errors read the same for every key.
    public override string FormatErrorMessage(string name) =>
        string.Format(CultureInfo.InvariantCulture, "The field {0} must be between {1} and {2}.", name, Minimum, Maximum);
}
