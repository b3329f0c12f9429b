using System.Globalization;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace LabTelemetry.Core.Mqtt;

/// <summary>The connection's publish: one message under its own timeout, and what the broker said of it, in words.</summary>
public sealed partial class MqttConnection
{
    /// <summary>Publishes one message, not retained, and waits at most <paramref name="timeout"/> for the broker's acknowledgement.</summary>
    /// <param name="takenAt">With MQTT 5, travels as the user property <c>taken-at</c>; the payload stays the lab's exact JSON.</param>
    /// <param name="sequence">With MQTT 5, travels as the user property <c>sequence</c>, so a subscriber can tell a redelivery from a new reading.</param>
    public async Task<PublishOutcome> PublishAsync(string topic, byte[] payload, int qos, TimeSpan timeout, CancellationToken cancellationToken, DateTimeOffset? takenAt = null, long? sequence = null)
    {
        if (!_client.IsConnected)
        {
            return PublishOutcome.Unanswered($"not connected to {Broker}");
        }

        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos)
            .WithRetainFlag(false);
        if (_options.IsVersion5 && takenAt is { } at)
        {
            builder = builder.WithUserProperty("taken-at", Utf8(at.ToString("O", CultureInfo.InvariantCulture)));
        }

        if (_options.IsVersion5 && sequence is { } number)
        {
            builder = builder.WithUserProperty("sequence", Utf8(number.ToString(CultureInfo.InvariantCulture)));
        }

        var message = builder.Build();

        // MQTT 5 brokers say in the CONNACK how large a packet they take; a larger one would only get us disconnected.
        if (Volatile.Read(ref _maxOutgoingBytes) is > 0 and var max && PacketSize(message) is var size && size > max)
        {
            return new PublishOutcome(PublishVerdict.Rejected, $"the publish to {topic} would be a {size}-byte packet, more than the {max} bytes {Broker} accepts (its max_packet_size)");
        }

        try
        {
            // MQTTnet waits for a PUBACK forever unless told otherwise.
            using var deadline = new Deadline(timeout, _timeProvider, cancellationToken);
            var result = await _client.PublishAsync(message, deadline.Token).ConfigureAwait(false);
            return result.IsSuccess ? PublishOutcome.Success : PublishOutcome.FromRefusal(topic, result.Code, result.ReasonString);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return PublishOutcome.Unanswered($"no acknowledgement from {Broker} within {timeout.TotalSeconds:0.##} s");
        }
        catch (MqttClientUnexpectedDisconnectReceivedException ex) when (ex.ReasonCode == MqttDisconnectReasonCode.PacketTooLarge)
        {
            return new PublishOutcome(PublishVerdict.Rejected, $"{Broker} disconnected us for the publish to {topic}: larger than it accepts (its max_packet_size)", LinkDropped: true);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or InvalidOperationException)
        {
            return PublishOutcome.Unanswered(ex.Message, linkDropped: !_client.IsConnected);
        }
    }

    private static ReadOnlyMemory<byte> Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    // An upper bound of the PUBLISH packet: fixed header (at most 5 bytes), topic, packet id, properties, payload.
    private static long PacketSize(MqttApplicationMessage message) =>
        5 + 2 + System.Text.Encoding.UTF8.GetByteCount(message.Topic) + 2 + message.Payload.Length + 4
        + (message.UserProperties?.Sum(p => 5 + System.Text.Encoding.UTF8.GetByteCount(p.Name) + p.ValueBuffer.Length) ?? 0);
}
