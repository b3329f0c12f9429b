using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.HomeAssistant;

/// <summary>The <c>HomeAssistant</c> section: whether the thermometer announces itself to Home Assistant's MQTT discovery.</summary>
public sealed class HomeAssistantOptions : IValidatableObject
{
    public const string SectionName = "HomeAssistant";

    /// <summary>Gets or sets whether the thermometer is announced (a retained config under <see cref="Prefix"/>), for a broker of one's own.</summary>
    /// <value>The default value is <see langword="false"/>: nobody on the course's shared broker wants our entities.</value>
    public bool Discovery { get; set; }

    /// <summary>Gets or sets Home Assistant's discovery prefix.</summary>
    /// <value>The default value is <c>homeassistant</c>, as Home Assistant's own default.</value>
    public string Prefix { get; set; } = "homeassistant";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Prefix) || Prefix.AsSpan().IndexOfAny('#', '+') >= 0 || Prefix.StartsWith('/') || Prefix.EndsWith('/'))
        {
            yield return new ValidationResult($"HomeAssistant:Prefix '{Prefix}' must be a topic without '#', '+' or a '/' at either end; Home Assistant's default is homeassistant.", [nameof(Prefix)]);
        }
    }
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class HomeAssistantOptionsValidator : IValidateOptions<HomeAssistantOptions>;
