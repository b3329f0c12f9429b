using System.ComponentModel.DataAnnotations;
using LabTelemetry.Core.Configuration;
using LabTelemetry.Core.Device;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Telemetry;

/// <summary>The <c>Telemetry</c> section: what is published, where and how often.</summary>
public sealed class TelemetryOptions : IValidatableObject
{
    public const string SectionName = "Telemetry";

    /// <summary>Gets or sets the topic; <c>{mac}</c> stands for the device id.</summary>
    /// <value>The default value is <c>DATA/{mac}</c>.</value>
    public string Topic { get; set; } = "DATA/{mac}";

    /// <summary>Gets or sets the time between two publishes.</summary>
    /// <value>The default value is 5 seconds.</value>
    [TimeSpanRange("00:00:00.050", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the students' group, as the grader knows it (<c>БАГ-18-01</c>).</summary>
    /// <value>The default value is empty, which does not start: the grader needs it.</value>
    public string Group { get; set; } = string.Empty;

    /// <summary>Gets or sets the students of the group (<c>Иванов И.И</c>).</summary>
    /// <value>The default value is empty, which does not start: the grader needs at least one.</value>
    public List<string> Students { get; set; } = [];

    /// <summary>Gets or sets the decimals the temperature is rounded to.</summary>
    /// <value>The default value is 1.</value>
    [Range(0, 4)]
    public int Decimals { get; set; } = 1;

    /// <summary>Gets or sets the MQTT quality of service of each publish: 0 or 1.</summary>
    /// <value>The default value is 1 (at least once).</value>
    /// <remarks>
    /// 2 (exactly once) is refused at start: a reading whose acknowledgement times out is published again after
    /// reconnecting, as a new message with a new packet id, which the broker may deliver twice.
    /// </remarks>
    public int Qos { get; set; } = 1;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Group))
        {
            yield return new ValidationResult("Telemetry:Group is empty; set it to your group as the grader knows it (for example БАГ-18-01).", [nameof(Group)]);
        }

        if (Students.Count == 0)
        {
            yield return new ValidationResult("Telemetry:Students is empty; list at least one student (for example [\"Иванов И.И\"]).", [nameof(Students)]);
        }

        for (int i = 0; i < Students.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Students[i]))
            {
                yield return new ValidationResult($"Telemetry:Students:{i} is empty; remove it or write the student's name.", [nameof(Students)]);
            }
        }

        if (Qos == 2)
        {
            yield return new ValidationResult("Telemetry:Qos is 2 (exactly once), which this worker cannot keep: a reading whose acknowledgement times out is published again as a new message after reconnecting, so it may arrive twice; use 1 (at least once, the default) or 0.", [nameof(Qos)]);
        }
        else if (Qos is not (0 or 1))
        {
            yield return new ValidationResult($"Telemetry:Qos must be 0 or 1 (at least once, the default), not {Qos}.", [nameof(Qos)]);
        }

        if (TopicTemplate.Problem(Topic) is { } problem)
        {
            yield return new ValidationResult($"Telemetry:Topic {problem}", [nameof(Topic)]);
        }
    }
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>;
