using LabTelemetry.Core.Resilience;
using MQTTnet;
using MQTTnet.Exceptions;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// The topic filters we listen on: subscribed on every connect and retried at the supervisor's pace when refused; a
/// refusal is said once when it starts or changes, and once when granted again.
/// </summary>
internal sealed partial class Subscriptions(IBrokerClient client, string broker, TimeSpan timeout, TimeProvider timeProvider, ILogger logger)
{
    private readonly object _lock = new();
    private readonly List<string> _filters = [];
    private readonly Dictionary<string, string> _missing = new(StringComparer.Ordinal);
    private int _maxPayloadBytes = int.MaxValue;

    /// <summary>Gets the largest payload any of the filters takes; larger ones are refused.</summary>
    public int MaxPayloadBytes
    {
        get
        {
            lock (_lock)
            {
                return _maxPayloadBytes;
            }
        }
    }

    /// <summary>Gets a value indicating whether a subscription was refused or not answered.</summary>
    public bool HasMissing
    {
        get
        {
            lock (_lock)
            {
                return _missing.Count > 0;
            }
        }
    }

    public void Add(string topicFilter, int maxPayloadBytes)
    {
        lock (_lock)
        {
            _filters.Add(topicFilter);
            _maxPayloadBytes = Math.Min(_maxPayloadBytes, maxPayloadBytes);
        }
    }

    // Even when the broker kept our session: a SUBSCRIBE that failed last time, or a changed Results:Topic,
    // would otherwise never be made.
    public Task SubscribeAllAsync(CancellationToken cancellationToken) => SubscribeAsync(Copy(_filters), cancellationToken);

    public Task RetryMissingAsync(CancellationToken cancellationToken) => SubscribeAsync(Copy(_missing.Keys), cancellationToken);

    private string[] Copy(IEnumerable<string> filters)
    {
        lock (_lock)
        {
            return [.. filters];
        }
    }

    // A refusal or a timeout does not fail the connect: readings can still go out.
    private async Task SubscribeAsync(string[] filters, CancellationToken cancellationToken)
    {
        foreach (string filter in filters)
        {
            string problem;
            using var deadline = new Deadline(timeout, timeProvider, cancellationToken);
            try
            {
                var result = await client.SubscribeAsync(filter, deadline.Token).ConfigureAwait(false);
                if (result.Granted)
                {
                    Log.Subscribed(logger, filter, result.Code);
                    lock (_lock)
                    {
                        _missing.Remove(filter);
                    }

                    continue;
                }

                problem = $"the broker refused it ({result.Code}): check the broker's ACL for this user and Results:Topic";
            }
            catch (OperationCanceledException) when (deadline.Expired)
            {
                problem = $"{broker} did not answer the subscribe within {timeout.TotalSeconds:0.##} s (Mqtt:OperationTimeout)";
            }
            catch (Exception ex) when (ex is MqttCommunicationException or InvalidOperationException)
            {
                // The link went as we subscribed (a broker restart): tried again after the next connect.
                problem = ex.Message;
            }

            bool changed;
            lock (_lock)
            {
                changed = !_missing.TryGetValue(filter, out string? before) || before != problem;
                _missing[filter] = problem;
            }

            if (changed)
            {
                Log.NotSubscribed(logger, filter, problem);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to {TopicFilter} ({Granted})")]
        public static partial void Subscribed(ILogger logger, string topicFilter, MqttClientSubscribeResultCode granted);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Not subscribed to {TopicFilter}: {Problem}; RESULT messages do not reach us until it works, tried again at every health check")]
        public static partial void NotSubscribed(ILogger logger, string topicFilter, string problem);
    }
}
