using System.Text;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace LabTelemetry.Tests.Core.Mqtt;

/// <summary>The one connection at the broker's seam: what it sends on connect and goodbye, what counts as a drop, what it refuses to send.</summary>
public sealed class MqttConnectionTests : IAsyncDisposable
{
    private const string StatusTopic = "STATUS/b8:27:eb:12:34:56";
    private const string DataTopic = "DATA/b8:27:eb:12:34:56";

    private readonly WatchedTimeProvider _time = new();
    private readonly FakeBrokerClient _broker;
    private readonly FakeLogger<MqttConnection> _log = new();
    private readonly MqttConnection _connection;

    public MqttConnectionTests()
    {
        _broker = new FakeBrokerClient(_time);
        _connection = new MqttConnection(_broker, Options.Create(new MqttOptions()), Options.Create(new AvailabilityOptions()), TestDevice.Pi, _time, _log);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private IEnumerable<string> Warnings() => _log.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning).Select(r => r.Message);

    private static void AssertStatus(string payload, MqttApplicationMessage message)
    {
        Assert.Equal(StatusTopic, message.Topic);
        Assert.Equal(payload, Encoding.UTF8.GetString(message.Payload));
        Assert.True(message.Retain, $"{payload} not retained");
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
    }

    [Fact]
    public async Task Connect_SubscribesAndPublishesARetainedOnline_WithOfflineAsItsWill()
    {
        _connection.Subscriptions.Add("RESULT/#", int.MaxValue);

        await _connection.ConnectAsync(CancellationToken.None);

        Assert.Equal(ConnectionState.Connected, _connection.State);
        Assert.Equal(["RESULT/#"], _broker.Subscribed);
        AssertStatus("online", Assert.Single(_broker.Published));
        var connect = _broker.LastConnect!;
        Assert.Equal("labtelemetry-b827eb123456", connect.ClientId);
        Assert.Equal(StatusTopic, connect.WillTopic);
        Assert.Equal("offline", Encoding.UTF8.GetString(connect.WillPayload));
        Assert.True(connect.WillRetain);
    }

    [Fact]
    public async Task Connect_RefusedByTheConnack_ThrowsConnectRefused_AndSendsNothingMore()
    {
        _broker.ConnectAnswer = _ => new(MqttClientConnectResultCode.NotAuthorized, false, "bad password");

        var ex = await Assert.ThrowsAsync<ConnectRefusedException>(() => _connection.ConnectAsync(CancellationToken.None));

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, ex.Code);
        Assert.Equal("the broker refused the connection: NotAuthorized (bad password)", ex.Message);
        Assert.Equal(ConnectionState.Connecting, _connection.State);
        Assert.Empty(_broker.Published);
        Assert.Empty(_broker.Subscribed);
    }

    [Fact]
    public async Task APingThatFails_IsADrop_ThatSaysHowLongTheLinkLasted()
    {
        await _connection.ConnectAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(42));
        _broker.AnswersPings = false;

        Assert.False(await _connection.IsAliveAsync(CancellationToken.None));

        Assert.Equal(new ConnectionDrop(MqttClientDisconnectReason.KeepAliveTimeout, TimeSpan.FromSeconds(42)), _connection.TakeLastDrop());
        Assert.Null(_connection.TakeLastDrop());
        Assert.Equal(ConnectionState.Connecting, _connection.State);
        Assert.Equal([TimeSpan.FromSeconds(42)], _broker.PingMoments);
    }

    [Fact]
    public async Task APingThatIsAnswered_AfterAnUnansweredPublish_MakesTheLinkHealthyAgain()
    {
        await _connection.ConnectAsync(CancellationToken.None);
        _connection.ReportUnhealthy();
        Assert.Equal(ConnectionState.Unhealthy, _connection.State);

        Assert.True(await _connection.IsAliveAsync(CancellationToken.None));

        Assert.Equal(ConnectionState.Connected, _connection.State);
        Assert.Null(_connection.TakeLastDrop());
    }

    [Fact]
    public async Task WhenTheBrokerDropsTheLink_ItIsADrop_WithItsReason_SaidOnce()
    {
        await _connection.ConnectAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(15));

        await _broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.ServerShuttingDown, "maintenance"));

        Assert.Equal(ConnectionState.Connecting, _connection.State);
        Assert.Equal(new ConnectionDrop(MqttClientDisconnectReason.ServerShuttingDown, TimeSpan.FromSeconds(15)), _connection.TakeLastDrop());
        Assert.Equal(["Disconnected from 194.87.111.91:1883: ServerShuttingDown maintenance"], Warnings());
    }

    [Fact]
    public async Task ADisconnectEventThatComesLate_AfterANewLink_DoesNotUndoIt()
    {
        await _connection.ConnectAsync(CancellationToken.None);
        _broker.DisconnectedOnlyWhenTold = true;
        await _broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.UnspecifiedError));
        _time.Advance(TimeSpan.FromSeconds(20));
        await _connection.ConnectAsync(CancellationToken.None);

        // MQTTnet raises the old link's event on the thread pool, after the new link is up.
        await _broker.RaiseDisconnectedAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.UnspecifiedError));

        Assert.Equal(ConnectionState.Connected, _connection.State);
        Assert.Null(_connection.TakeLastDrop());
        Assert.Empty(Warnings());
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromSeconds(20)], _broker.ConnectMoments);
    }

    [Fact]
    public async Task Goodbye_PublishesARetainedOffline_ThenDisconnects_AndIsNotReportedAsADrop()
    {
        await _connection.ConnectAsync(CancellationToken.None);

        await _connection.DisconnectAsync(CancellationToken.None);

        Assert.Equal(ConnectionState.Stopping, _connection.State);
        Assert.False(_broker.IsConnected);
        var published = _broker.Published.ToArray();
        Assert.Equal(2, published.Length);
        AssertStatus("offline", published[1]);
        Assert.Null(_connection.TakeLastDrop());
        Assert.Empty(Warnings());
        Assert.Contains(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Information && r.Message == "Disconnected from 194.87.111.91:1883: we are stopping");
    }

    [Fact]
    public async Task APublishLargerThanTheConnacksMaximumPacketSize_IsRejected_WithoutBeingSent()
    {
        _broker.ConnectAnswer = _ => new(MqttClientConnectResultCode.Success, false, MaximumPacketSize: 100);
        await _connection.ConnectAsync(CancellationToken.None);

        // The publisher's bound of a PUBLISH: fixed header 5, topic length 2, topic 22, packet id 2, properties 4, and
        // the payload: 100 bytes with a 65-byte payload, which goes; 101 with 66, which does not.
        var fits = await _connection.Publisher.PublishAsync(DataTopic, new byte[65], 1, TimeSpan.FromSeconds(10), CancellationToken.None);
        var tooLarge = await _connection.Publisher.PublishAsync(DataTopic, new byte[66], 1, TimeSpan.FromSeconds(10), CancellationToken.None);

        Assert.Equal(PublishVerdict.Delivered, fits.Verdict);
        Assert.Equal(PublishVerdict.Rejected, tooLarge.Verdict);
        Assert.Equal("the publish to DATA/b8:27:eb:12:34:56 would be a 101-byte packet, more than the 100 bytes 194.87.111.91:1883 accepts (its max_packet_size)", tooLarge.Problem);
        Assert.Equal([65], _broker.Published.Where(m => m.Topic == DataTopic).Select(m => m.Payload.Length));
    }
}
