using System.ComponentModel.DataAnnotations;
using LabTelemetry.Core.Configuration;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Mqtt;

/// <summary>The <c>Mqtt</c> section: the broker and how to stay connected to it.</summary>
public sealed class MqttOptions : IValidatableObject
{
    public const string SectionName = "Mqtt";

    /// <summary>Gets or sets the broker's host name or address.</summary>
    /// <value>The default value is the course's broker, <c>194.87.111.91</c>.</value>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Mqtt:Host is empty; the course's broker is 194.87.111.91.")]
    public string Host { get; set; } = "194.87.111.91";

    /// <summary>Gets or sets the broker's TCP port.</summary>
    /// <value>The default value is 1883 (8883 is usual with TLS).</value>
    [Range(1, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>Gets or sets the MQTT client id; the broker keeps our session under it.</summary>
    /// <value>The default value is <see langword="null"/>: <c>labtelemetry-</c> and <c>Device:Id</c>, or without one the MAC's twelve hex digits; stable across restarts.</value>
    [StringLength(128, ErrorMessage = "Mqtt:ClientId is longer than 128 characters.")]
    public string? ClientId { get; set; }

    /// <summary>Gets or sets the user name, when the broker asks for one.</summary>
    /// <value>The default value is <see langword="null"/>: anonymous.</value>
    public string? Username { get; set; }

    /// <summary>Gets or sets the password; better kept in <c>/etc/labtelemetry/env</c> than in appsettings.json.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Password { get; set; }

    /// <summary>Gets or sets the keep-alive period: a silent link is declared dead after 1.5 times this.</summary>
    /// <value>The default value is 30 seconds.</value>
    [TimeSpanRange("00:00:01", "18:12:15")]
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the MQTT protocol version: <c>3.1.1</c> or <c>5</c>.</summary>
    /// <value>The default value is <c>3.1.1</c>.</value>
    public string ProtocolVersion { get; set; } = "3.1.1";

    /// <summary>Gets or sets how long the broker keeps our session while we are away (MQTT 5 only; 3.1.1 brokers keep it by their own rules).</summary>
    /// <value>The default value is 1 day.</value>
    [TimeSpanRange("00:00:01", "49710.00:00:00")]
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Gets or sets whether to connect over TLS.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool UseTls { get; set; }

    /// <summary>Gets or sets a PEM file with the certificate authority that signed the broker's certificate.</summary>
    /// <value>The default value is <see langword="null"/>: the system's trusted authorities.</value>
    public string? CaFile { get; set; }

    /// <summary>Gets or sets how long one connect, publish, subscribe or ping may take.</summary>
    /// <value>The default value is 10 seconds.</value>
    [TimeSpanRange("00:00:00.100", "00:05:00")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how often the connection supervisor checks the link with a ping.</summary>
    /// <value>The default value is 5 seconds.</value>
    [TimeSpanRange("00:00:00.100", "01:00:00")]
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the longest wait between two reconnect attempts.</summary>
    /// <value>The default value is 30 seconds.</value>
    [TimeSpanRange("00:00:00.100", "01:00:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsVersion5 => ProtocolVersion is "5" or "5.0";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ProtocolVersion is not ("3.1.1" or "5" or "5.0"))
        {
            yield return new ValidationResult($"Mqtt:ProtocolVersion is '{ProtocolVersion}'; use 3.1.1 or 5.", [nameof(ProtocolVersion)]);
        }

        // The supervisor's pings are the keep-alive (MQTTnet's own loop is off): they must come well within it.
        if (KeepAlive > TimeSpan.Zero && HealthCheckInterval > KeepAlive / 2)
        {
            yield return new ValidationResult($"Mqtt:HealthCheckInterval ({HealthCheckInterval}) must be at most half of Mqtt:KeepAlive ({KeepAlive}): its pings keep the connection alive.", [nameof(HealthCheckInterval)]);
        }

        if (!string.IsNullOrEmpty(Password) && string.IsNullOrEmpty(Username))
        {
            yield return new ValidationResult("Mqtt:Password is set but Mqtt:Username is empty; MQTT sends a password only with a user name.", [nameof(Password)]);
        }

        if (!string.IsNullOrEmpty(CaFile))
        {
            if (!UseTls)
            {
                yield return new ValidationResult("Mqtt:CaFile is set but Mqtt:UseTls is false; set Mqtt:UseTls=true to use it.", [nameof(CaFile)]);
            }
            else if (!File.Exists(CaFile))
            {
                yield return new ValidationResult($"Mqtt:CaFile: file '{CaFile}' not found.", [nameof(CaFile)]);
            }
        }
    }
}

/// <summary>Validates the section at start, with the generated (reflection-free) DataAnnotations checks.</summary>
[OptionsValidator]
public sealed partial class MqttOptionsValidator : IValidateOptions<MqttOptions>;
