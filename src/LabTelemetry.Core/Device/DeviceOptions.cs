using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Device;

/// <summary>The <c>Device</c> section: which network interface names this device.</summary>
public sealed class DeviceOptions
{
    public const string SectionName = "Device";

    /// <summary>Gets or sets the interface whose MAC names the device.</summary>
    /// <value>The default value is <c>wlan0</c>; when it does not exist, the first non-loopback interface that is up.</value>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Device:Interface is empty; name a network interface such as wlan0.")]
    public string Interface { get; set; } = "wlan0";

    /// <summary>Gets or sets how the MAC is written.</summary>
    /// <value>The default value is <see cref="MacFormat.LowerCaseColons"/>.</value>
    [EnumDataType(typeof(MacFormat), ErrorMessage = "Device:MacFormat must be LowerCaseColons, UpperCaseColons, LowerCaseNoSeparator or UpperCaseNoSeparator.")]
    public MacFormat MacFormat { get; set; } = MacFormat.LowerCaseColons;

    /// <summary>Gets or sets an explicit device id that replaces the MAC in the topics and the client id (<c>labtelemetry-&lt;id&gt;</c>).</summary>
    /// <value>The default value is <see langword="null"/>: the MAC is used.</value>
    [TopicLevel(ErrorMessage = "Device:Id must be one topic level: no spaces, '/', '#' or '+'.")]
    public string? Id { get; set; }
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class DeviceOptionsValidator : IValidateOptions<DeviceOptions>;
