using System.Buffers;
using System.Threading.Channels;
using MQTTnet.Exceptions;

namespace LabTelemetry.Core.Mqtt;

/// <summary>The connection's subscriptions, made on every connect and retried when refused, and the bounded queue of what arrives on them.</summary>
public sealed partial class MqttConnection
{
    /// <summary>Gets the messages received on our subscriptions; when the reader falls behind, new ones are dropped and counted.</summary>
    public ChannelReader<ReceivedMessage> Received => _received.Reader;

    /// <summary>Gets how many received messages were dropped because the reader fell behind.</summary>
    public long DroppedMessages => Interlocked.Read(ref _droppedMessages);

    /// <summary>Gets how many received messages were refused for being larger than the subscription allows.</summary>
    public long OversizedMessages => Interlocked.Read(ref _oversizedMessages);

    /// <summary>
    /// Adds a topic filter, subscribed on every connect. Payloads above
    /// <paramref name="maxPayloadBytes"/> are refused: with MQTT 5 the broker never sends them, with 3.1.1 they are dropped on arrival.
    /// </summary>
    public void Subscribe(string topicFilter, int maxPayloadBytes = int.MaxValue)
    {
        lock (_subscriptions)
        {
            _subscriptions.Add(topicFilter);
            _maxIncomingBytes = Math.Min(_maxIncomingBytes, maxPayloadBytes);
        }
    }

    /// <summary>Gets a value indicating whether a subscription was refused or not answered; the supervisor retries it at its pace.</summary>
    public bool HasMissingSubscriptions
    {
        get
        {
            lock (_subscriptions)
            {
                return _notSubscribed.Count > 0;
            }
        }
    }

    /// <summary>Subscribes again what the broker refused or did not answer.</summary>
    public Task RetryMissingSubscriptionsAsync(CancellationToken cancellationToken)
    {
        string[] missing;
        lock (_subscriptions)
        {
            missing = [.. _notSubscribed.Keys];
        }

        return SubscribeAsync(missing, cancellationToken);
    }

    private string[] AllFilters()
    {
        lock (_subscriptions)
        {
            return [.. _subscriptions];
        }
    }

    // A refusal or a timeout does not fail the connect: readings can still go out. Each is said once when it
    // starts (or changes), and once when the subscription is granted again.
    private async Task SubscribeAsync(string[] filters, CancellationToken cancellationToken)
    {
        foreach (string filter in filters)
        {
            string problem;
            try
            {
                var result = await WithTimeout("subscribe", ct => _client.SubscribeAsync(filter, ct), cancellationToken).ConfigureAwait(false);
                if (result.Granted)
                {
                    Log.Subscribed(_logger, filter, result.Code);
                    lock (_subscriptions)
                    {
                        _notSubscribed.Remove(filter);
                    }

                    continue;
                }

                problem = $"the broker refused it ({result.Code}): check the broker's ACL for this user and Results:Topic";
            }
            catch (Exception ex) when (ex is TimeoutException or MqttCommunicationException or InvalidOperationException)
            {
                // The link went as we subscribed (a broker restart): tried again after the next connect.
                problem = ex.Message;
            }

            bool news;
            lock (_subscriptions)
            {
                news = !_notSubscribed.TryGetValue(filter, out string? before) || before != problem;
                _notSubscribed[filter] = problem;
            }

            if (news)
            {
                Log.NotSubscribed(_logger, filter, problem);
            }
        }
    }

    // Never throws: a throwing handler leaves a QoS 1 message unacknowledged, and the broker sends it again forever.
    private Task OnMessageReceivedAsync(string topic, ReadOnlySequence<byte> payload)
    {
        try
        {
            if (payload.Length > _maxIncomingBytes)
            {
                long oversized = Interlocked.Increment(ref _oversizedMessages);
                if (oversized == 1 || oversized % 1000 == 0)
                {
                    Log.ReceivedOversized(_logger, topic, payload.Length, _maxIncomingBytes, oversized);
                }
            }
            else if (!_received.Writer.TryWrite(new ReceivedMessage(topic, payload.ToArray())))
            {
                long dropped = Interlocked.Increment(ref _droppedMessages);
                if (dropped == 1 || dropped % 1000 == 0)
                {
                    Log.ReceivedDropped(_logger, dropped);
                }
            }
        }
#pragma warning disable CA1031 // The handler must not throw, whatever arrives.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ReceiveFailed(_logger, topic, ex.Message);
        }

        return Task.CompletedTask;
    }
}
