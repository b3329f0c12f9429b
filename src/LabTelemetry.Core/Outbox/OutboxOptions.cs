using System.ComponentModel.DataAnnotations;
using LabTelemetry.Core.Configuration;
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

    /// <summary>Gets or sets whether readings the broker has not acknowledged are put on the storage device, so that they survive a power cut.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Durable { get; set; } = true;

    /// <summary>Gets or sets how long a reading may wait for the broker's acknowledgement before it is synced to the storage device, with every other that waits then.</summary>
    /// <value>
    /// The default value is 1 second: while the broker acknowledges promptly no reading costs a sync, and an outage
    /// of any length costs one sync a second. Zero syncs each reading as it is written.
    /// </value>
    [TimeSpanRange("00:00:00", "00:10:00")]
    public TimeSpan SyncAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how many readings are held in memory while the log cannot be written (a full disk, a read-only remount); beyond it the oldest of them are dropped, with a warning.</summary>
    /// <value>The default value is 5 000 (almost seven hours at the 5 s default interval).</value>
    [Range(1, 1_000_000)]
    public int MaxInMemory { get; set; } = 5_000;
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class OutboxOptionsValidator : IValidateOptions<OutboxOptions>;
