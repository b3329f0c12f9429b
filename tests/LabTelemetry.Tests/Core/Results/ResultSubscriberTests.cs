using System.Text;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Results;
using LabTelemetry.Core.Telemetry;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Core.Results;

public sealed class ResultSubscriberTests : IAsyncDisposable
{
    private readonly FakeLogger<ResultSubscriber> _logger = new();
    private readonly MqttConnection _connection = new(
        new FakeBrokerClient(),
        Options.Create(new MqttOptions()), Options.Create(new AvailabilityOptions()), TestDevice.Pi, TimeProvider.System, new FakeLogger<MqttConnection>());

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private readonly FakeTimeProvider _time = new();

    private ResultSubscriber Subscriber(LogLevel othersLevel = LogLevel.Information, int perSecond = 20) => new(
        _connection,
        Options.Create(new ResultsOptions { OthersLevel = othersLevel, MaxLoggedChars = 100, MaxLoggedPerSecond = perSecond }),
        Options.Create(new TelemetryOptions { Group = "БАГ-18-01", Students = ["Иванов И.И"] }),
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
}
