using System.Text;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace LabTelemetry.Tests.Core.Outbox;

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
        _sender = new OutboxSender(_outbox, _rig.Connection, Options.Create(_rig.Options), _rig.Time, _log);
    }

    public async ValueTask DisposeAsync()
    {
        await _sender.StopAsync(CancellationToken.None);
        _sender.Dispose();
        await _rig.DisposeAsync();
        _directory.Dispose();
    }

    private Task EnqueueAsync(int reading) =>
        _outbox.EnqueueAsync(Topic, Encoding.UTF8.GetBytes($"{{\"temperature\": {reading}}}"), 1, _rig.Time.GetUtcNow(), CancellationToken.None);

    private string[] PublishedPayloads() => [.. _rig.Broker.Published.Where(m => m.Topic == Topic).Select(m => Encoding.UTF8.GetString(m.Payload))];

    [Fact]
    public async Task Connected_SendsEveryReadingInOrder_AndEmptiesTheOutbox()
    {
        for (int i = 1; i <= 40; i++)
        {
            await EnqueueAsync(i);
        }

        await _rig.StartConnectedAsync();
        await _sender.StartAsync(CancellationToken.None);

        Assert.True(await Eventually.TrueAsync(() => _outbox.Count == 0), $"{_outbox.Count} left");
        Assert.Equal(Enumerable.Range(1, 40).Select(i => $"{{\"temperature\": {i}}}"), PublishedPayloads());
    }

    [Fact]
    public async Task NotConnected_SendsNothing_ThenEverythingOnceConnected()
    {
        await EnqueueAsync(1);
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
        await EnqueueAsync(7);
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
}
