using System.ComponentModel.DataAnnotations;
using LabTelemetry.Core.Device;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// The <c>Availability</c> section: a retained <c>online</c> on connect, and a last will of <c>offline</c>
/// that the broker publishes when the device vanishes (also sent on a clean stop).
/// </summary>
public sealed class AvailabilityOptions : IValidatableObject
{
    public const string SectionName = "Availability";

    /// <summary>Gets or sets the status topic; <c>{mac}</c> stands for the device id. Empty switches availability off.</summary>
    /// <value>The default value is <c>STATUS/{mac}</c>.</value>
    public string Topic { get; set; } = "STATUS/{mac}";

    /// <summary>Gets or sets the payload that says the device is up.</summary>
    /// <value>The default value is <c>online</c>.</value>
    public string Online { get; set; } = "online";

    /// <summary>Gets or sets the payload that says the device is gone.</summary>
    /// <value>The default value is <c>offline</c>.</value>
    public string Offline { get; set; } = "offline";

    public bool Enabled => !string.IsNullOrEmpty(Topic);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && TopicTemplate.Problem(Topic) is { } problem)
        {
            yield return new ValidationResult($"Availability:Topic {problem}", [nameof(Topic)]);
        }
    }
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class AvailabilityOptionsValidator : IValidateOptions<AvailabilityOptions>;
