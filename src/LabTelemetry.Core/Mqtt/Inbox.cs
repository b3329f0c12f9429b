using System.Buffers;
using System.Threading.Channels;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// The bounded queue of what the broker delivers on our subscriptions. When its reader falls behind, new messages
/// are dropped and counted; payloads larger than the subscriptions take are refused (with MQTT 5 the broker never
/// sends them, with 3.1.1 they are dropped here). A warning on the first and every thousandth of each.
/// </summary>
internal sealed partial class Inbox(Func<int> maxPayloadBytes, ILogger logger)
{
    private const int Capacity = 1024;

    private readonly Channel<ReceivedMessage> _received = Channel.CreateBounded<ReceivedMessage>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private long _dropped;
    private long _oversized;

    public ChannelReader<ReceivedMessage> Reader => _received.Reader;

    // Never throws: a throwing handler leaves a QoS 1 message unacknowledged, and the broker sends it again forever.
    public Task OnMessageReceivedAsync(string topic, ReadOnlySequence<byte> payload)
    {
        try
        {
            int max = maxPayloadBytes();
            if (payload.Length > max)
            {
                long oversized = Interlocked.Increment(ref _oversized);
                if (oversized == 1 || oversized % 1000 == 0)
                {
                    Log.Oversized(logger, topic, payload.Length, max, oversized);
                }
            }
            else if (!_received.Writer.TryWrite(new ReceivedMessage(topic, payload.ToArray())))
            {
                long dropped = Interlocked.Increment(ref _dropped);
                if (dropped == 1 || dropped % 1000 == 0)
                {
                    Log.Dropped(logger, dropped);
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
