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

namespace LabTelemetry.Tests.Core.Delivery;

/// <summary>The sender drains the outbox through the connection's seam: in order, removing only what the broker took.</summary>
public sealed class OutboxSenderTests : IAsyncDisposable
{
    private const string Topic = "DATA/b8:27:eb:12:34:56";
    private readonly ConnectionRig _rig = new();
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
    public async Task NotConnected_SendsNothing_ThenEverythingOnceConnected()
    {
        Enqueue(1);
        await _sender.StartAsync(CancellationToken.None);
        await Task.Delay(200);
        Assert.Empty(_rig.Broker.Published);

        await _rig.StartConnectedAsync();

        Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 0));
        Assert.Equal(["{\"temperature\": 1}"], PublishedPayloads());
    }

    [Fact]
    public async Task UnansweredPublish_KeepsTheReading_WarnsOnce_AndSendsItAgainAfterAPause()
    {
        int attempts = 0;
        _rig.Broker.PublishAnswer = async (message, ct) =>
        {
            if (message.Topic == Topic && Interlocked.Increment(ref attempts) <= 3)
            {
                await Task.Delay(Timeout.Infinite, ct); // no PUBACK: the operation timeout ends the wait
            }

            return new PublishAnswer(true, MqttClientPublishReasonCode.Success);
        };
        Enqueue(7);
        await _rig.StartConnectedAsync();
        await _sender.StartAsync(CancellationToken.None);

        for (int i = 0; i < 100 && _outbox.Count > 0; i++)
        {
            await _rig.AdvanceAsync(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(0, _outbox.Count);
        Assert.Equal(["{\"temperature\": 7}"], PublishedPayloads());
        Assert.Equal(4, attempts);
        Assert.Single(_log.Collector.GetSnapshot(), r => r.Message.StartsWith("Readings wait in the outbox", StringComparison.Ordinal));
    }

    private async Task RunForAsync(TimeSpan fakeTime, Func<bool>? until = null)
    {
        for (var passed = TimeSpan.Zero; passed < fakeTime && until?.Invoke() != true; passed += TimeSpan.FromSeconds(1))
        {
            _rig.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task NotAuthorized_KeepsTheReadings_RetriesWithBackoff_WithoutPings_AndRecoversWhenTheAclIsFixed()
    {
        bool allowed = false;
        int refused = 0;
        _rig.Broker.PublishAnswer = (message, _) => Task.FromResult(message.Topic != Topic || Volatile.Read(ref allowed)
            ? new PublishAnswer(true, MqttClientPublishReasonCode.Success)
            : new PublishAnswer(false, MqttClientPublishReasonCode.NotAuthorized).Also(() => Interlocked.Increment(ref refused)));
        Enqueue(1);
        Enqueue(2);
        await _rig.StartConnectedAsync();
        await _sender.StartAsync(CancellationToken.None);

        await RunForAsync(TimeSpan.FromSeconds(60));

        // 1 + 2 + 4 + 8 + 16 + 30 s between tries: 6 or 7 refusals of the first reading in a minute, not 60.
        Assert.InRange(Volatile.Read(ref refused), 5, 8);
        Assert.Equal(2, _outbox.Count);
        Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
        Assert.InRange(_rig.Broker.Pings, 0, 13); // the health checks' own pace, 60 s / 5 s, and no more
        var warning = Assert.Single(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("the broker refused the publish to DATA/b8:27:eb:12:34:56: not authorised", warning.Message, StringComparison.Ordinal);
        Assert.Contains("ACL", warning.Message, StringComparison.Ordinal);

        Volatile.Write(ref allowed, true);
        await RunForAsync(TimeSpan.FromSeconds(60), () => _outbox.Count == 0);

        Assert.Equal(["{\"temperature\": 1}", "{\"temperature\": 2}"], PublishedPayloads());
        Assert.Single(_log.Collector.GetSnapshot(), r => r.Message.StartsWith("The broker takes publishes to DATA/b8:27:eb:12:34:56 again", StringComparison.Ordinal));
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

        await RunForAsync(TimeSpan.FromSeconds(120), () => _outbox.Count == 0);

        Assert.Equal(0, _outbox.Count);
        Assert.Equal(["{\"temperature\": 2}"], PublishedPayloads());
        Assert.Equal(1, _outbox.SetAsideCount);
        Assert.Equal(4, _rig.Broker.Connects); // three that died under it, one that delivers the rest
        Assert.Contains(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains("closed the connection each of the 3 times", StringComparison.Ordinal));
    }
}

internal static class AnswerExtensions
{
    /// <summary>Returns <paramref name="answer"/> after running <paramref name="effect"/>: counting inside an expression.</summary>
    public static T Also<T>(this T answer, Action effect)
    {
        effect();
        return answer;
    }
}
