using System.Globalization;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration.SystemdUnit;

/// <summary>
/// A subscriber inside the container that notes the MQTT 5 user properties <c>sequence</c> and <c>taken-at</c> of every
/// reading published on a topic. Its session is kept by the broker (clean start off, QoS 1), and Debian's Mosquitto
/// persists sessions across its restarts, so what is published while the witness reconnects reaches it all the same.
/// </summary>
internal sealed class SequenceWitness : IAsyncDisposable
{
    private readonly RunningCommand _subscriber;

    private SequenceWitness(RunningCommand subscriber) => _subscriber = subscriber;

    /// <summary>Gets every sequence number seen so far, each with the times taken it was seen with.</summary>
    public IReadOnlyDictionary<long, IReadOnlySet<string>> Readings
    {
        get
        {
            var readings = new Dictionary<long, HashSet<string>>();
            foreach (string line in _subscriber.Output.Split('\n'))
            {
                // -F %P prints a message's user properties as "taken-at:… sequence:…"; mosquitto_sub's -d lines have neither.
                var properties = line.Split(' ')
                    .Select(property => property.Split(':', 2))
                    .Where(pair => pair.Length == 2)
                    .ToLookup(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
                if (properties["sequence"].FirstOrDefault() is { } number && properties["taken-at"].FirstOrDefault() is { } takenAt)
                {
                    long sequence = long.Parse(number, CultureInfo.InvariantCulture);
                    if (!readings.TryGetValue(sequence, out var times))
                    {
                        readings[sequence] = times = [];
                    }

                    times.Add(takenAt);
                }
            }

            return readings.ToDictionary(pair => pair.Key, pair => (IReadOnlySet<string>)pair.Value);
        }
    }

    /// <summary>Gets the sequence numbers seen so far.</summary>
    public IReadOnlySet<long> Sequences => Readings.Keys.ToHashSet();

    /// <summary>Subscribes and waits until the broker has acknowledged the subscription.</summary>
    public static async Task<SequenceWitness> StartAsync(SystemdContainer container, string topic, TimeSpan within)
    {
        // Line-buffered: to a pipe, mosquitto_sub would hold its lines back.
        var subscriber = container.Start(
            $"exec stdbuf -oL mosquitto_sub -h 127.0.0.1 -V 5 -i labtelemetry-witness -c -q 1 -d -t '{topic}' -F '%P' -W {(int)within.TotalSeconds}");
        if (!await Eventually.TrueAsync(() => subscriber.Output.Contains("Subscribed", StringComparison.Ordinal), TimeSpan.FromSeconds(10)))
        {
            await subscriber.DisposeAsync();
            Assert.Fail($"the witness did not subscribe to {topic}: {subscriber.Output}");
        }

        return new SequenceWitness(subscriber);
    }

    public ValueTask DisposeAsync() => _subscriber.DisposeAsync();
}
