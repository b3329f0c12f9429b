using System.Collections.Concurrent;
using System.Text;
using LabTelemetry.Core.Delivery;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Core.Resilience;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using MQTTnet;
using static LabTelemetry.Tests.Support.WatchedTimeProvider;

namespace LabTelemetry.Tests.Core.Delivery;

/// <summary>The sender drains the outbox through the connection's seam: in order, removing only what the broker took.</summary>
public sealed class OutboxSenderTests : IAsyncDisposable
{
    private const string Topic = "DATA/b8:27:eb:12:34:56";
    // A publish waits at most 7 s for its PUBACK: never at a health check's moment (every 5 s), so that which of the
    // two comes first is never a coin toss.
    private readonly ConnectionRig _rig = new(new MqttOptions { HealthCheckInterval = TimeSpan.FromSeconds(5), MaxReconnectDelay = TimeSpan.FromSeconds(30), OperationTimeout = TimeSpan.FromSeconds(7) });
    private readonly ScratchDirectory _directory = new();
    private readonly DiskOutbox _outbox;
    private readonly OutboxSender _sender;
    private readonly FakeLogger<OutboxSender> _log = new();

    public OutboxSenderTests()
    {
        _outbox = new DiskOutbox(Options.Create(new OutboxOptions { Directory = _directory.Path, Durable = false }), new FakeLogger<DiskOutbox>());
        _sender = new OutboxSender(_outbox, _rig.Connection, new Backoff(TimeSpan.FromSeconds(1), _rig.Options.MaxReconnectDelay, random: () => 0.5), _rig.Options.OperationTimeout, _rig.Time, _log);
    }

    public async ValueTask DisposeAsync()
    {
        await _sender.StopAsync(CancellationToken.None);
        _sender.Dispose();
        await _rig.DisposeAsync();
        _directory.Dispose();
    }

    private void Enqueue(int reading) =>
        _outbox.Enqueue(Topic, Encoding.UTF8.GetBytes($"{{\"temperature\": {reading}}}"), 1, _rig.Time.GetUtcNow());

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    private static double[] Seconds(IEnumerable<TimeSpan> moments) => [.. moments.Select(m => m.TotalSeconds)];

    private string[] PublishedPayloads() => [.. _rig.Broker.Published.Where(m => m.Topic == Topic).Select(m => Encoding.UTF8.GetString(m.Payload))];

    [Fact]
    public async Task Connected_SendsEveryReadingInOrder_AndEmptiesTheOutbox()
    {
        for (int i = 1; i <= 40; i++)
        {
            Enqueue(i);
        }

        await _rig.StartConnectedAsync();
        await _sender.StartAsync(CancellationToken.None);

        Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 0), $"{_outbox.Count} left");
        Assert.Equal(Enumerable.Range(1, 40).Select(i => $"{{\"temperature\": {i}}}"), PublishedPayloads());
    }

    [Fact]
    public async Task LiveReadings_AreLoggedAtMostTwiceASecond_EachLineCountingTheOnesBetween()
    {
        await _rig.StartConnectedAsync();
        await _sender.StartAsync(CancellationToken.None);

        // 10 Hz for 2 s: a line at 0.1 s, then one each 0.5 s after it (0.6, 1.1, 1.6 s); 17 to 20 wait for the next.
        for (int i = 1; i <= 20; i++)
        {
            _rig.Time.AdvanceTo(TimeSpan.FromMilliseconds(100 * i));
            Enqueue(i);
            Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 0), $"reading {i}: {_outbox.Count} left");
        }

        string[] expected =
        [
            $"Published {{\"temperature\": 1}} to {Topic}",
            $"Published {{\"temperature\": 6}} to {Topic}, and 4 more since the line before",
            $"Published {{\"temperature\": 11}} to {Topic}, and 4 more since the line before",
            $"Published {{\"temperature\": 16}} to {Topic}, and 4 more since the line before",
        ];
        Assert.Equal(expected, _log.Collector.GetSnapshot().Where(r => r.Message.StartsWith("Published", StringComparison.Ordinal)).Select(r => r.Message));
        Assert.Equal(20, PublishedPayloads().Length);
    }

    [Fact]
    public async Task NotConnected_SendsNothing_ThenEverythingOnceConnected()
    {
        // The broker took the CONNECT, but the connection is not up until its online status is acknowledged: the
        // client is connected, so a sender that asked the client rather than the connection would publish now.
        var online = new TaskCompletionSource<PublishAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool onlineSent = false;
        _rig.Broker.PublishAnswer = (message, _) =>
        {
            if (message.Topic == Topic)
            {
                return Task.FromResult(new PublishAnswer(true, MqttClientPublishReasonCode.Success));
            }

            Volatile.Write(ref onlineSent, true);
            return online.Task;
        };
        Enqueue(1);
        await _rig.Supervisor.StartAsync(CancellationToken.None);
        await _rig.Time.ParkedAsync(() => Volatile.Read(ref onlineSent), At(7)); // the online status's deadline (Mqtt:OperationTimeout)
        Assert.True(_rig.Broker.IsConnected);
        Assert.Equal(ConnectionState.Connecting, _rig.Connection.State);

        // Runs up to its first wait on this thread: what it would publish, it would have published when this returns.
        var sending = _sender.SendNextAsync(CancellationToken.None);

        Assert.False(sending.IsCompleted);
        Assert.Empty(PublishedPayloads());
        await _rig.Time.ParkedAsync(At(7)); // the sender waits for the connection, not on the clock
        online.SetResult(new PublishAnswer(true, MqttClientPublishReasonCode.Success));
        Assert.True(await sending.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(["{\"temperature\": 1}"], PublishedPayloads());
        Assert.Equal(0, _outbox.Count);
    }

    /// <summary>
    /// Moves time through each state in turn: first waits until the timers armed are exactly those listed and
    /// <paramref name="count"/> reads as listed (the sender and the supervisor each wait on the clock, and what they did
    /// before waiting is done), then moves to just before the earliest timer, where the count must not have moved, then
    /// to it.
    /// </summary>
    private async Task StepThroughAsync(Func<int> count, params (double[] Armed, int Count)[] states)
    {
        foreach (var (armed, counted) in states)
        {
            await _rig.Time.ParkedAsync(() => count() == counted, [.. armed.Select(At)]);
            var next = At(armed.Min());
            _rig.Time.AdvanceTo(next - JustBefore);
            Assert.Equal(counted, count());
            _rig.Time.AdvanceTo(next);
        }
    }

    [Fact]
    public async Task UnansweredPublish_KeepsTheReading_WarnsOnce_AndSendsItAgainAfterAPause()
    {
        var attempts = new ConcurrentQueue<TimeSpan>();
        var never = new TaskCompletionSource<PublishAnswer>();
        _rig.Broker.PublishAnswer = (message, ct) =>
        {
            if (message.Topic != Topic)
            {
                return Task.FromResult(new PublishAnswer(true, MqttClientPublishReasonCode.Success));
            }

            // No PUBACK for the first three: the operation timeout (7 s) ends each wait.
            attempts.Enqueue(_rig.Time.Elapsed);
            return attempts.Count <= 3 ? never.Task.WaitAsync(ct) : Task.FromResult(new PublishAnswer(true, MqttClientPublishReasonCode.Success));
        };
        Enqueue(7);
        await _rig.StartConnectedAsync();
        await _sender.StartAsync(CancellationToken.None);

        // Each unanswered publish times out 7 s after it was sent; the supervisor pings at once (and checks again 5 s
        // later), the sender sends the reading again 1 s later. In between, the health checks keep their 5 s.
        await StepThroughAsync(
            () => attempts.Count,
            ([5, 7], 1), ([7, 10], 1), ([8, 12], 1), ([12, 15], 2), ([15, 17], 2), ([16, 20], 2), ([20, 23], 3), ([23, 25], 3), ([24, 28], 3));

        await _rig.Time.ParkedAsync(() => attempts.Count == 4, At(28));
        Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 0), $"{_outbox.Count} left");
        Assert.Equal([0, 8, 16, 24], Seconds(attempts));
        Assert.Equal([5, 7, 12, 15, 20, 23], Seconds(_rig.Broker.PingMoments));
        Assert.Equal(["{\"temperature\": 7}"], PublishedPayloads());
        Assert.Single(_log.Collector.GetSnapshot(), r => r.Message.StartsWith("Readings wait in the outbox", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NotAuthorized_KeepsTheReadings_RetriesWithBackoff_WithoutPings_AndRecoversWhenTheAclIsFixed()
    {
        bool allowed = false;
        var refused = new ConcurrentQueue<(TimeSpan At, string Payload)>();
        _rig.Broker.PublishAnswer = (message, _) =>
        {
            if (message.Topic != Topic || Volatile.Read(ref allowed))
            {
                return Task.FromResult(new PublishAnswer(true, MqttClientPublishReasonCode.Success));
            }

            refused.Enqueue((_rig.Time.Elapsed, Encoding.UTF8.GetString(message.Payload)));
            return Task.FromResult(new PublishAnswer(false, MqttClientPublishReasonCode.NotAuthorized));
        };
        Enqueue(1);
        Enqueue(2);
        await _rig.StartConnectedAsync();
        await _sender.StartAsync(CancellationToken.None);

        // Both readings refused at 0 s, then the first alone at 1, 3, 7, 15, 31 and 61 s (1 + 2 + 4 + 8 + 16 + 30);
        // the supervisor's health checks every 5 s all the while, and no more.
        double[] refusals = [0, 0, 1, 3, 7, 15, 31];
        double[] retries = [1, 3, 7, 15, 31, 61];
        var states = new List<(double[] Armed, int Count)>();
        for (double now = 0; now < 60; now = states[^1].Armed.Min())
        {
            double moment = now;
            states.Add(([retries.First(r => r > moment), (Math.Floor(moment / 5) + 1) * 5], refusals.Count(r => r <= moment)));
        }

        await StepThroughAsync(() => refused.Count, [.. states]);

        await _rig.Time.ParkedAsync(() => refused.Count == 7, At(61), At(65));
        (double At, string Payload)[] expected =
            [(0, "{\"temperature\": 1}"), (0, "{\"temperature\": 2}"), (1, "{\"temperature\": 1}"), (3, "{\"temperature\": 1}"), (7, "{\"temperature\": 1}"), (15, "{\"temperature\": 1}"), (31, "{\"temperature\": 1}")];
        Assert.Equal(expected, refused.Select(r => (r.At.TotalSeconds, r.Payload)));
        Assert.Equal(2, _outbox.Count);
        Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
        Assert.Equal([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60], Seconds(_rig.Broker.PingMoments));
        var warning = Assert.Single(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("the broker refused the publish to DATA/b8:27:eb:12:34:56: not authorised", warning.Message, StringComparison.Ordinal);
        Assert.Contains("ACL", warning.Message, StringComparison.Ordinal);

        Volatile.Write(ref allowed, true);
        _rig.Time.AdvanceTo(At(61));

        Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 0), $"{_outbox.Count} left");
        await _rig.Time.ParkedAsync(At(65));
        Assert.Equal(["{\"temperature\": 1}", "{\"temperature\": 2}"], PublishedPayloads());
        Assert.Single(_log.Collector.GetSnapshot(), r => r.Message.StartsWith("The broker takes publishes to DATA/b8:27:eb:12:34:56 again, after 6 refusal(s)", StringComparison.Ordinal));
        Assert.Equal(1, _rig.Broker.Connects);
    }

    /// <summary>Sends readings 1, one of <paramref name="bytes"/> bytes, and 3: only 1 and 3 arrive, the large one is set aside.</summary>
    private async Task SendALargeReadingBetweenTwoSmallOnesAsync(int bytes)
    {
        Enqueue(1);
        _outbox.Enqueue(Topic, new byte[bytes], 1, _rig.Time.GetUtcNow());
        Enqueue(3);
        await _rig.StartConnectedAsync();
        await _sender.StartAsync(CancellationToken.None);

        Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 0));
        Assert.Equal(["{\"temperature\": 1}", "{\"temperature\": 3}"], PublishedPayloads());
        Assert.Equal(1, _outbox.SetAsideCount);
    }

    [Fact]
    public async Task TooLargeForTheBroker_IsSetAsideOnDisk_AndTheRestGoOn()
    {
        _rig.Broker.PublishAnswer = (message, _) => Task.FromResult(message.Payload.Length > 30
            ? new PublishAnswer(false, (MqttClientPublishReasonCode)149)
            : new PublishAnswer(true, MqttClientPublishReasonCode.Success));
        await SendALargeReadingBetweenTwoSmallOnesAsync(100);

        var kept = Assert.Single(Directory.GetFiles(Path.Combine(_directory.Path, "rejected")));
        var error = Assert.Single(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains("larger than it accepts (code 149", error.Message, StringComparison.Ordinal);
        Assert.Contains(kept, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LargerThanTheMaximumPacketSizeInTheConnack_IsSetAsideWithoutBeingSent()
    {
        _rig.Broker.ConnectAnswer = _ => new(MqttClientConnectResultCode.Success, false, MaximumPacketSize: 100);
        await SendALargeReadingBetweenTwoSmallOnesAsync(200);

        Assert.Contains(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains("more than the 100 bytes", StringComparison.Ordinal));
        Assert.Equal(1, _rig.Broker.Connects);
    }

    [Fact]
    public async Task AReadingTheBrokerDisconnectsUsFor_ThreeConnectionsInARow_IsSetAside_AndTheRestGoOn()
    {
        _rig.Broker.PublishAnswer = async (message, _) =>
        {
            if (message.Payload.Length > 30)
            {
                await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.NormalDisconnection));
                throw new MQTTnet.Exceptions.MqttCommunicationException("The MQTT client is disconnected.");
            }

            return new PublishAnswer(true, MqttClientPublishReasonCode.Success);
        };
        _outbox.Enqueue(Topic, new byte[100], 1, _rig.Time.GetUtcNow());
        Enqueue(2);
        await _rig.StartConnectedAsync();
        await _sender.StartAsync(CancellationToken.None);

        // The large reading goes first on each connection, and the broker drops the link at once (reading 2, started
        // behind it at 0 s, finds the link gone). The sender pauses 1 s after each drop, the supervisor reconnects
        // after 1, 2 and 4 s: connections at 0, 1, 3 and 7 s. The third drop sets the large reading aside; the fourth
        // connection delivers reading 2, once: time moves only while both wait, so no reconnect can slip in between.
        await StepThroughAsync(() => _rig.Broker.Connects, ([1, 1], 1), ([2, 3], 2), ([3], 2), ([7], 3));

        Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 0), $"{_outbox.Count} left");
        await _rig.Time.ParkedAsync(At(12));
        Assert.Equal(["{\"temperature\": 2}"], PublishedPayloads());
        Assert.Equal(1, _outbox.SetAsideCount);
        Assert.Equal([0, 1, 3, 7], Seconds(_rig.Broker.ConnectMoments));
        Assert.Contains(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains("closed the connection each of the 3 times", StringComparison.Ordinal));
    }
}
