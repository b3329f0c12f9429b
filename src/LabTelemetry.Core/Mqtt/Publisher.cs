using System.Globalization;
using System.Text;
using LabTelemetry.Core.Resilience;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// Publishes one message under its own timeout and says in words what the broker made of it; the outbox sender and
/// <c>once</c> both publish through it.
/// </summary>
/// <param name="client">The client to publish through.</param>
/// <param name="broker">The broker, as the words name it (<c>host:port</c>).</param>
/// <param name="version5">Whether the link speaks MQTT 5, which carries the reading's user properties.</param>
public sealed class Publisher(IBrokerClient client, string broker, bool version5, TimeProvider timeProvider)
{
    /// <summary>Gets or sets the largest packet the broker takes (MQTT 5 brokers say so in the CONNACK); 0 when it did not say.</summary>
    public long MaxPacketBytes { get; set; }

    /// <summary>Gets when (a monotonic timestamp) the newest publish the broker took was sent; <see langword="null"/> before the first.</summary>
    public long? LastTaken => Volatile.Read(ref _lastTaken) is var sent && sent != long.MinValue ? sent : null;

    private long _lastTaken = long.MinValue;

    /// <summary>Publishes and waits at most <paramref name="timeout"/> for the broker's acknowledgement.</summary>
    /// <param name="retain">Whether the broker keeps it for whoever subscribes later (readings never are; an announcement is).</param>
    /// <param name="takenAt">With MQTT 5, travels as the user property <c>taken-at</c>; the payload stays the lab's exact JSON.</param>
    /// <param name="sequence">With MQTT 5, travels as the user property <c>sequence</c>, so a subscriber can tell a redelivery from a new reading.</param>
    public async Task<PublishOutcome> PublishAsync(string topic, byte[] payload, int qos, TimeSpan timeout, CancellationToken cancellationToken, DateTimeOffset? takenAt = null, long? sequence = null, bool retain = false)
    {
        if (!client.IsConnected)
        {
            return PublishOutcome.Unanswered($"not connected to {broker}");
        }

        var message = Build(topic, payload, qos, takenAt, sequence, retain);
        if (MaxPacketBytes is > 0 and var max && PacketSize(message) is var size && size > max)
        {
            return new PublishOutcome(PublishVerdict.Rejected, $"the publish to {topic} would be a {size}-byte packet, more than the {max} bytes {broker} accepts (its max_packet_size)");
        }

        try
        {
            // MQTTnet waits for a PUBACK forever unless told otherwise.
            using var deadline = new Deadline(timeout, timeProvider, cancellationToken);
            long sent = timeProvider.GetTimestamp();
            var result = await client.PublishAsync(message, deadline.Token).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                return PublishOutcome.FromRefusal(topic, result.Code, result.ReasonString);
            }

            InterlockedMax(ref _lastTaken, sent);
            return PublishOutcome.Success;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return PublishOutcome.Unanswered($"no acknowledgement from {broker} within {timeout.TotalSeconds:0.##} s");
        }
        catch (MqttClientUnexpectedDisconnectReceivedException ex) when (ex.ReasonCode == MqttDisconnectReasonCode.PacketTooLarge)
        {
            return new PublishOutcome(PublishVerdict.Rejected, $"{broker} disconnected us for the publish to {topic}: larger than it accepts (its max_packet_size)", LinkDropped: true);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or InvalidOperationException)
        {
            return PublishOutcome.Unanswered(ex.Message, linkDropped: !client.IsConnected);
        }
    }

    private MqttApplicationMessage Build(string topic, byte[] payload, int qos, DateTimeOffset? takenAt, long? sequence, bool retain)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos)
            .WithRetainFlag(retain);
        if (version5 && takenAt is { } at)
        {
            builder = builder.WithUserProperty("taken-at", Utf8(at.ToString("O", CultureInfo.InvariantCulture)));
        }

        if (version5 && sequence is { } number)
        {
            builder = builder.WithUserProperty("sequence", Utf8(number.ToString(CultureInfo.InvariantCulture)));
        }

        return builder.Build();
    }

    private static void InterlockedMax(ref long location, long value)
    {
        long seen = Volatile.Read(ref location);
        while (seen < value && Interlocked.CompareExchange(ref location, value, seen) is var was && was != seen)
        {
            seen = was;
        }
    }

    private static ReadOnlyMemory<byte> Utf8(string text) => Encoding.UTF8.GetBytes(text);

    // An upper bound of the PUBLISH packet: fixed header (at most 5 bytes), topic, packet id, properties, payload.
    private static long PacketSize(MqttApplicationMessage message) =>
        5 + 2 + Encoding.UTF8.GetByteCount(message.Topic) + 2 + message.Payload.Length + 4
        + (message.UserProperties?.Sum(p => 5 + Encoding.UTF8.GetByteCount(p.Name) + p.ValueBuffer.Length) ?? 0);
}
