using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Outbox;

/// <summary>The <c>Outbox</c> section: where readings wait for the broker, and how many may wait.</summary>
public sealed class OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>Gets or sets the directory of the outbox.</summary>
    /// <value>
    /// The default value is <see langword="null"/>: systemd's state directory (<c>/var/lib/labtelemetry</c>) under
    /// the service, else <c>$XDG_STATE_HOME/labtelemetry</c> (<c>~/.local/state/labtelemetry</c>) when run by hand.
    /// </value>
    public string? Directory { get; set; }

    /// <summary>Gets or sets how many readings may wait; beyond it the oldest are dropped, with a warning.</summary>
    /// <value>The default value is 100 000 (almost six days at the 5 s default interval).</value>
    [Range(1, 10_000_000)]
    public int MaxMessages { get; set; } = 100_000;

    /// <summary>Gets or sets how many bytes the waiting readings' records may take; beyond it the oldest are dropped, with a warning.</summary>
    /// <value>The default value is 64 MiB (a reading takes about 130 bytes). The log's files are whole 1 MiB segments, so the disk holds a little more.</value>
    [Range(64 * 1024, 64L * 1024 * 1024 * 1024)]
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Gets or sets whether each reading is flushed to the storage device before it counts as written.</summary>
    /// <value>The default value is <see langword="true"/>: a reading survives a power cut, at the cost of one <c>fdatasync</c> per reading.</value>
    public bool Durable { get; set; } = true;
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class OutboxOptionsValidator : IValidateOptions<OutboxOptions>;
