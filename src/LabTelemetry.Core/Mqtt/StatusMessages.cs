using LabTelemetry.Core.Resilience;
using MQTTnet;
using MQTTnet.Protocol;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// The device's retained status: <c>online</c> once connected; <c>offline</c> as the last will and as our goodbye, since a
/// clean disconnect suppresses the will.
/// </summary>
/// <param name="topic">The status topic, or <see langword="null"/> when <c>Availability:Topic</c> is empty.</param>
internal sealed class StatusMessages(string? topic, AvailabilityOptions options)
{
    /// <summary>Gets the last will for the CONNECT, or <see langword="null"/> without a status topic.</summary>
    public (string Topic, string Payload)? Will => topic is null ? null : (topic, options.Offline);

    public MqttApplicationMessage? Offline => Build(options.Offline);

    /// <summary>Publishes <c>online</c>, retained, as part of connecting: a broker that does not acknowledge it in time fails the connect.</summary>
    public async Task SendOnlineAsync(IBrokerClient client, string broker, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (Build(options.Online) is not { } online)
        {
            return;
        }

        using var deadline = new Deadline(timeout, timeProvider, cancellationToken);
        try
        {
            await client.PublishAsync(online, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (deadline.Expired)
        {
            throw new TimeoutException($"{broker} did not answer the status publish within {timeout.TotalSeconds:0.##} s (Mqtt:OperationTimeout).", ex);
        }
    }

    private MqttApplicationMessage? Build(string payload) => topic is null ? null : new MqttApplicationMessageBuilder()
        .WithTopic(topic)
        .WithPayload(payload)
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .WithRetainFlag(true)
        .Build();
}
