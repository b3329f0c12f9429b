using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Results;

/// <summary>The <c>Results</c> section: where the grader answers and how its answers are logged.</summary>
public sealed class ResultsOptions
{
    public const string SectionName = "Results";

    /// <summary>Gets or sets the topic filter to listen on.</summary>
    /// <value>
    /// The default value is <c>RESULT/#</c>. MQTT's multi-level <c>#</c> also matches its parent level,
    /// so this one filter receives <c>RESULT</c>, <c>RESULT/</c> and <c>RESULT/&lt;anything&gt;</c>.
    /// </value>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Results:Topic is empty; the course's grader answers on RESULT/#.")]
    public string Topic { get; set; } = "RESULT/#";

    /// <summary>Gets or sets the level of results that concern other groups.</summary>
    /// <value>The default value is <see cref="LogLevel.Information"/>, like our own.</value>
    [EnumDataType(typeof(LogLevel), ErrorMessage = "Results:OthersLevel must be a log level: Trace, Debug, Information, Warning, Error, Critical or None.")]
    public LogLevel OthersLevel { get; set; } = LogLevel.Information;

    /// <summary>Gets or sets how many characters of a payload go into the log.</summary>
    /// <value>The default value is 2000.</value>
    [Range(16, 1_000_000)]
    public int MaxLoggedChars { get; set; } = 2000;

    /// <summary>Gets or sets the largest RESULT payload taken; larger ones are refused (with MQTT 5 the broker never sends them).</summary>
    /// <value>The default value is 65 536 bytes.</value>
    [Range(1, 268_435_455)]
    public int MaxPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>Gets or sets how many RESULT messages are logged per second at most; the rest of a flood is counted in one line.</summary>
    /// <value>The default value is 20.</value>
    [Range(1, 100_000)]
    public int MaxLoggedPerSecond { get; set; } = 20;
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class ResultsOptionsValidator : IValidateOptions<ResultsOptions>;
