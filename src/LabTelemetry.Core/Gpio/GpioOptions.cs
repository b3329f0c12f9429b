using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Gpio;

/// <summary>The <c>Gpio</c> section: which chip the pins are lines of.</summary>
public sealed class GpioOptions
{
    public const string SectionName = "Gpio";

    /// <summary>Gets or sets the chip: <c>gpiochip4</c>, <c>/dev/gpiochip4</c> or its label.</summary>
    /// <value>The default value is <see langword="null"/>: the chip labelled as a Pi 3's, 4's or 5's header.</value>
    [RegularExpression(@"^(/dev/)?gpiochip[0-9]+$|^[A-Za-z0-9_.:-]{1,31}$", ErrorMessage = "Gpio:Chip must be gpiochipN, /dev/gpiochipN or a chip's label, as gpiodetect lists them.")]
    public string? Chip { get; set; }
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class GpioOptionsValidator : IValidateOptions<GpioOptions>;
