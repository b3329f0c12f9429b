using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Led;

/// <summary>The <c>Led</c> section: the status LED's pin and how it is wired.</summary>
public sealed class LedOptions
{
    public const string SectionName = "Led";

    /// <summary>Gets or sets the GPIO the status LED is on.</summary>
    /// <value>The default value is <see langword="null"/>: no LED.</value>
    [Range(0, 27, ErrorMessage = "Led:Pin must be a header GPIO, 0–27 (GPIO17 is pin 11).")]
    public int? Pin { get; set; }

    /// <summary>Gets or sets whether the LED lights when the pin is low: wired from 3.3 V to the pin.</summary>
    /// <value>The default value is <see langword="false"/>: from the pin to GND.</value>
    public bool ActiveLow { get; set; }
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class LedOptionsValidator : IValidateOptions<LedOptions>;
