using MQTTnet;

namespace LabTelemetry.Core.Mqtt;

/// <summary>What became of one publish, and so what the sender does with the reading.</summary>
public enum PublishVerdict
{
    /// <summary>Acknowledged (QoS 1 and 2), or handed to the connected client (QoS 0): forget it.</summary>
    Delivered,

    /// <summary>No acknowledgement: the link is suspect. Keep the reading; the supervisor checks the link.</summary>
    Unanswered,

    /// <summary>The broker said no for a reason its configuration can change (not authorised, quota): keep it, retry with backoff.</summary>
    Refused,

    /// <summary>The broker will never take this message (too large, invalid topic): set it aside so the rest can go.</summary>
    Rejected,
}

/// <summary>What became of one publish, and why when it was not delivered.</summary>
/// <param name="Verdict">What the sender should do with the reading.</param>
/// <param name="Problem">What went wrong, in words, naming the topic and what to check.</param>
/// <param name="LinkDropped">The connection went away while the publish was in flight.</param>
public sealed record PublishOutcome(PublishVerdict Verdict, string? Problem, bool LinkDropped = false)
{
    public static readonly PublishOutcome Success = new(PublishVerdict.Delivered, null);

    public static PublishOutcome Unanswered(string problem, bool linkDropped = false) => new(PublishVerdict.Unanswered, problem, linkDropped);

    /// <summary>The broker's PUBACK or PUBREC reason code, said in words (MQTT 5; a 3.1.1 broker cannot refuse).</summary>
    public static PublishOutcome FromRefusal(string topic, MqttClientPublishReasonCode code, string? reason)
    {
        string said = string.IsNullOrEmpty(reason) ? string.Empty : $", \"{reason}\"";
        return (int)code switch
        {
            0x87 => new(PublishVerdict.Refused, $"the broker refused the publish to {topic}: not authorised (NotAuthorized{said}); check the broker's ACL for this user (Mqtt:Username) and topic"),
            0x97 => new(PublishVerdict.Refused, $"the broker refused the publish to {topic}: quota exceeded (QuotaExceeded{said}); the broker limits how much we send"),
            0x90 => new(PublishVerdict.Rejected, $"the broker refused the publish to {topic}: invalid topic name (TopicNameInvalid{said}); check Telemetry:Topic"),
            0x99 => new(PublishVerdict.Rejected, $"the broker refused the publish to {topic}: payload format invalid (PayloadFormatInvalid{said})"),
            0x95 => new(PublishVerdict.Rejected, $"the broker refused the publish to {topic}: the message is larger than it accepts (code 149, packet too large{said}; Mosquitto's message_size_limit)"),
            _ => new(PublishVerdict.Refused, $"the broker refused the publish to {topic}: {code} (code {(int)code}{said}); the broker's log says more"),
        };
    }
}
