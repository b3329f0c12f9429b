using System.Buffers;
using System.Threading.Channels;
using MQTTnet;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// What the broker delivers on our subscriptions, each filter's into a bounded queue of its own: what a slow reader
/// cannot take, or a payload larger than its filter takes, is dropped and counted, with a warning on the first and every thousandth.
/// </summary>
internal sealed partial class Inbox(ILogger logger)
{
    // With MQTT 5 the broker never sends a payload above our maximum packet size; with 3.1.1 it is dropped here.
    private const int Capacity = 1024;

    private volatile Route[] _routes = [];
    private long _dropped;
    private long _oversized;

    /// <summary>A queue for what arrives on <paramref name="topicFilter"/>, payloads above <paramref name="maxPayloadBytes"/> refused.</summary>
    public ChannelReader<ReceivedMessage> Add(string topicFilter, int maxPayloadBytes)
    {
        var route = new Route(topicFilter, maxPayloadBytes, Channel.CreateBounded<ReceivedMessage>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true }));
        _routes = [.. _routes, route];
        return route.Queue.Reader;
    }

    // Never throws: a throwing handler leaves a QoS 1 message unacknowledged, and the broker sends it again forever.
    public Task OnMessageReceivedAsync(string topic, ReadOnlySequence<byte> payload)
    {
        try
        {
            foreach (var route in _routes)
            {
                if (MqttTopicFilterComparer.Compare(topic, route.Filter) == MqttTopicFilterCompareResult.IsMatch)
                {
                    Deliver(route, topic, payload);
                }
            }
        }
#pragma warning disable CA1031 // The handler must not throw, whatever arrives.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Failed(logger, topic, ex.Message);
        }

        return Task.CompletedTask;
    }

    private void Deliver(Route route, string topic, ReadOnlySequence<byte> payload)
    {
        if (payload.Length > route.MaxPayloadBytes)
        {
            long oversized = Interlocked.Increment(ref _oversized);
            if (oversized == 1 || oversized % 1000 == 0)
            {
                Log.Oversized(logger, topic, payload.Length, route.MaxPayloadBytes, oversized);
            }
        }
        else if (!route.Queue.Writer.TryWrite(new ReceivedMessage(topic, payload.ToArray())))
        {
            long dropped = Interlocked.Increment(ref _dropped);
            if (dropped == 1 || dropped % 1000 == 0)
            {
                Log.Dropped(logger, dropped);
            }
        }
    }

    private sealed record Route(string Filter, int MaxPayloadBytes, Channel<ReceivedMessage> Queue);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Received messages arrive faster than they are logged; {Dropped} dropped so far")]
        public static partial void Dropped(ILogger logger, long dropped);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a {Bytes}-byte message on {Topic}: larger than {MaxBytes} bytes (Results:MaxPayloadBytes); {Refused} refused so far")]
        public static partial void Oversized(ILogger logger, string topic, long bytes, int maxBytes, long refused);

        [LoggerMessage(Level = LogLevel.Warning, Message = "A message on {Topic} could not be taken: {Detail}")]
        public static partial void Failed(ILogger logger, string topic, string detail);
    }
}
