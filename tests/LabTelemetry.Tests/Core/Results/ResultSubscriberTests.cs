using System.Text;
using System.Threading.Channels;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Results;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Tests.Core.Results;

public sealed class ResultSubscriberTests : IAsyncDisposable
{
    private readonly FakeLogger<ResultSubscriber> _logger = new();
    private readonly MqttConnection _connection = new(
        new FakeBrokerClient(),
        Options.Create(new MqttOptions()), Options.Create(new AvailabilityOptions()), TestDevice.Pi, TimeProvider.System, new FakeLogger<MqttConnection>());

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private readonly WatchedTimeProvider _time = new();

    private ResultSubscriber Subscriber(LogLevel othersLevel = LogLevel.Information, int perSecond = 20) => new(
        _connection,
        Options.Create(new ResultsOptions { OthersLevel = othersLevel, MaxLoggedChars = 100, MaxLoggedPerSecond = perSecond }),
        "БАГ-18-01",
        _time,
        _logger);

    private static ReceivedMessage Message(string topic, string payload) => new(topic, Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void Handle_ResultForOurGroup_IsOneInformationEventWithTopicAndPayload()
    {
        Subscriber().Handle(Message("RESULT", "БАГ-18-01: зачтено"));

        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Equal("RESULT", record.GetStructuredStateValue("Topic"));
        Assert.Equal("БАГ-18-01: зачтено", record.GetStructuredStateValue("Payload"));
        Assert.Equal("БАГ-18-01", record.GetStructuredStateValue("Group"));
    }

    [Fact]
    public void Handle_ResultForAnotherGroup_UsesTheConfiguredLevel()
    {
        Subscriber(othersLevel: LogLevel.Debug).Handle(Message("RESULT/", "{\"group\": \"БАГ-18-02\"}"));

        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Debug, record.Level);
        Assert.Contains("another group", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Handle_HostilePayload_StaysOneEscapedLine()
    {
        Subscriber().Handle(new ReceivedMessage("RESULT/\n", [0xFF, (byte)'\n', 0x1B, (byte)'[', (byte)'2', (byte)'J']));

        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal("\uFFFD\\n\\u001b[2J", record.GetStructuredStateValue("Payload"));
        Assert.Equal("RESULT/\\n", record.GetStructuredStateValue("Topic"));
    }

    [Fact]
    public void Handle_Flood_LogsAtMostTheBudgetAndCountsTheRest()
    {
        var subscriber = Subscriber(perSecond: 5);

        for (int i = 0; i < 1000; i++)
        {
            subscriber.Handle(Message("RESULT", $"flood {i}"));
        }

        subscriber.ReportSuppressed();
        Assert.Equal(5, _logger.Collector.Count);
        _time.Advance(TimeSpan.FromSeconds(1));
        subscriber.ReportSuppressed();

        Assert.Equal("995 RESULT message(s) not logged: more than 5 a second (Results:MaxLoggedPerSecond)", _logger.LatestRecord.Message);
        subscriber.Handle(Message("RESULT", "after the flood"));
        Assert.Contains("after the flood", _logger.LatestRecord.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_IdleForThreeHours_HoldsOneWaiter_AndStillLogsTheNextResult()
    {
        var channel = Channel.CreateBounded<ReceivedMessage>(new BoundedChannelOptions(1024) { SingleReader = true });
        var reader = new CountingReader(channel.Reader);
        using var stop = new CancellationTokenSource();
        var reading = Subscriber().ReadAsync(reader, stop.Token);

        // Nothing left unlogged: it waits on the channel alone, with no timer to wake it, for three hours.
        await _time.ParkedAsync(() => reader.Waits == 1);
        _time.Advance(TimeSpan.FromHours(3));

        Assert.Equal(1, reader.Waits);
        Assert.Equal(1, reader.Pending);

        channel.Writer.TryWrite(Message("RESULT", "БАГ-18-01: зачтено"));
        Assert.True(await Eventually.TrueAsync(() => _logger.Collector.Count == 1));
        Assert.True(await Eventually.TrueAsync(() => reader.Waits == 2));
        Assert.Equal(1, reader.Pending);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
    }

    [Fact]
    public async Task Reading_AFloodThenSilence_SaysHowManyWentUnlogged_OnceItsSecondIsOver()
    {
        var channel = Channel.CreateBounded<ReceivedMessage>(new BoundedChannelOptions(1024) { SingleReader = true });
        using var stop = new CancellationTokenSource();
        var reading = Subscriber(perSecond: 5).ReadAsync(channel.Reader, stop.Token);

        for (int i = 0; i < 50; i++)
        {
            channel.Writer.TryWrite(Message("RESULT", $"flood {i}"));
        }

        // Five logged at 0 s, 45 counted; then it waits for the channel or the end of that second, at 1 s.
        await _time.ParkedAsync(() => _logger.Collector.Count == 5, TimeSpan.FromSeconds(1));
        _time.AdvanceTo(TimeSpan.FromSeconds(1) - WatchedTimeProvider.JustBefore);
        Assert.Equal(5, _logger.Collector.Count);
        _time.AdvanceTo(TimeSpan.FromSeconds(1));
        Assert.True(await Eventually.TrueAsync(() => _logger.Collector.Count == 6), "no summary once the second was over");
        Assert.Equal("45 RESULT message(s) not logged: more than 5 a second (Results:MaxLoggedPerSecond)", _logger.LatestRecord.Message);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
    }

    [Fact]
    public async Task Reading_WhenTheChannelIsCompleted_Ends()
    {
        var channel = Channel.CreateBounded<ReceivedMessage>(new BoundedChannelOptions(1024) { SingleReader = true });
        channel.Writer.Complete();

        var reading = Subscriber().ReadAsync(channel.Reader, CancellationToken.None);

        Assert.True(await Eventually.TrueAsync(() => reading.IsCompleted), "still reading a completed channel");
        Assert.True(reading.IsCompletedSuccessfully, reading.Exception?.ToString());
        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    /// <summary>A channel's reader that counts the waits asked of it, and those still queued on the channel.</summary>
    private sealed class CountingReader(ChannelReader<ReceivedMessage> inner) : ChannelReader<ReceivedMessage>
    {
        private int _waits;
        private int _pending;

        public int Waits => Volatile.Read(ref _waits);

        public int Pending => Volatile.Read(ref _pending);

        public override bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out ReceivedMessage item) => inner.TryRead(out item);

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _waits);
            var wait = inner.WaitToReadAsync(cancellationToken);
            if (wait.IsCompleted)
            {
                return wait;
            }

            Interlocked.Increment(ref _pending);
            return new ValueTask<bool>(UntilDoneAsync(wait.AsTask()));
        }

        private async Task<bool> UntilDoneAsync(Task<bool> wait)
        {
            try
            {
                return await wait;
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }
}
