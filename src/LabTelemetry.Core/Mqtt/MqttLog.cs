using Microsoft.Extensions.Logging;
using MQTTnet;

namespace LabTelemetry.Core.Mqtt;

internal static partial class MqttLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Broker} as {ClientId} (session kept by the broker: {SessionPresent})")]
    public static partial void Connected(ILogger logger, string broker, string clientId, bool sessionPresent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disconnected from {Broker}: {Reason} {Detail}")]
    public static partial void Disconnected(ILogger logger, string broker, MqttClientDisconnectReason reason, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disconnected from {Broker}: we are stopping")]
    public static partial void Left(ILogger logger, string broker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not say goodbye to {Broker}: {Detail}")]
    public static partial void DisconnectIncomplete(ILogger logger, string broker, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to {TopicFilter} ({Granted})")]
    public static partial void Subscribed(ILogger logger, string topicFilter, MqttClientSubscribeResultCode granted);

    [LoggerMessage(Level = LogLevel.Error, Message = "The broker refused the subscription to {TopicFilter}: {Code}; check the broker's ACL for this user")]
    public static partial void SubscriptionRefused(ILogger logger, string topicFilter, MqttClientSubscribeResultCode code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Received messages arrive faster than they are logged; {Dropped} dropped so far")]
    public static partial void ReceivedDropped(ILogger logger, long dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a {Bytes}-byte message on {Topic}: larger than {MaxBytes} bytes (Results:MaxPayloadBytes); {Refused} refused so far")]
    public static partial void ReceivedOversized(ILogger logger, string topic, long bytes, int maxBytes, long refused);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message on {Topic} could not be taken: {Detail}")]
    public static partial void ReceiveFailed(ILogger logger, string topic, string detail);
}
