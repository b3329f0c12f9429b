using LabTelemetry.Core.Mqtt;
using LabTelemetry.Tests.Support;
using MQTTnet;

namespace LabTelemetry.Tests.Core.Mqtt;

/// <summary>The supervisor's pace around each fault, counted at the connection's seam on fake time.</summary>
public sealed class ConnectionSupervisorTests : IAsyncDisposable
{
    private readonly ConnectionRig _rig = new();

    public ValueTask DisposeAsync() => _rig.DisposeAsync();

    private TimeSpan Interval => _rig.Options.HealthCheckInterval;

    [Fact]
    public async Task Healthy_PingsOncePerHealthCheckInterval()
    {
        await _rig.StartConnectedAsync();

        for (int i = 1; i <= 10; i++)
        {
            await _rig.AdvanceAsync(Interval);
            int expected = i;
            Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Pings == expected), $"after {i} intervals: {_rig.Broker.Pings} pings");
        }

        await Task.Delay(200);
        Assert.Equal(10, _rig.Broker.Pings);
        Assert.Equal(1, _rig.Broker.Connects);
    }

    [Fact]
    public async Task AfterAPublishWentUnanswered_PingsOnceAtOnce_ThenKeepsItsPace()
    {
        await _rig.StartConnectedAsync();

        _rig.Connection.ReportUnhealthy();

        Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Pings >= 1));
        await Task.Delay(300);
        Assert.Equal(1, _rig.Broker.Pings);
        Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
        await _rig.AdvanceAsync(Interval);
        Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Pings == 2));
        await Task.Delay(300);
        Assert.Equal(2, _rig.Broker.Pings);
    }

    [Fact]
    public async Task WhenTheLinkDrops_ReconnectsAtOnce_AndSaysSoOnce()
    {
        await _rig.StartConnectedAsync();

        await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.ServerShuttingDown));

        Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Connects == 2), $"{_rig.Broker.Connects} connects");
        Assert.True(await Eventually.TrueAsync(() => _rig.Connection.State == ConnectionState.Connected));
        Assert.Single(_rig.ConnectionLog.Collector.GetSnapshot(), r => r.Message.Contains("ServerShuttingDown", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhileTheBrokerRefuses_RetriesWithGrowingDelays_NotAStorm()
    {
        _rig.Broker.ConnectAnswer = n => new(n <= 4 ? MqttClientConnectResultCode.NotAuthorized : MqttClientConnectResultCode.Success, false);
        await _rig.Supervisor.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Connects == 1));

        // Without time passing, no second attempt: the backoff waits on the clock.
        await Task.Delay(300);
        Assert.Equal(1, _rig.Broker.Connects);

        for (int i = 0; i < 60 && _rig.Connection.State != ConnectionState.Connected; i++)
        {
            await _rig.AdvanceAsync(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
        Assert.Equal(5, _rig.Broker.Connects);
        Assert.Equal(4, _rig.Retries);
    }

    [Fact]
    public async Task OnStop_SaysGoodbye_AndADropAfterIsNotReported()
    {
        await _rig.StartConnectedAsync();

        await _rig.Supervisor.StopAsync(CancellationToken.None);

        Assert.Equal(ConnectionState.Stopping, _rig.Connection.State);
        Assert.False(_rig.Broker.IsConnected);
        Assert.DoesNotContain(_rig.ConnectionLog.Collector.GetSnapshot(), r => r.Message.StartsWith("Disconnected from", StringComparison.Ordinal) && r.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    [Fact]
    public async Task EveryConnect_Subscribes_EvenWhenTheBrokerKeptTheSession()
    {
        _rig.Connection.Subscribe("RESULT/#");
        _rig.Broker.ConnectAnswer = _ => new(MqttClientConnectResultCode.Success, SessionPresent: true);
        await _rig.StartConnectedAsync();

        await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.ServerShuttingDown));
        Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Connects == 2 && _rig.Connection.State == ConnectionState.Connected));

        Assert.Equal(["RESULT/#", "RESULT/#"], _rig.Broker.Subscribed);
    }

    [Fact]
    public async Task RefusedSubscription_IsAWarningOnce_RetriedAtTheHealthCheckPace_UntilGranted()
    {
        _rig.Connection.Subscribe("RESULT/#");
        bool allowed = false;
        _rig.Broker.SubscribeAnswer = _ => new(Volatile.Read(ref allowed) ? MqttClientSubscribeResultCode.GrantedQoS1 : MqttClientSubscribeResultCode.NotAuthorized);
        await _rig.StartConnectedAsync();

        for (int i = 1; i <= 3; i++)
        {
            await _rig.AdvanceAsync(Interval);
            int expected = i + 1;
            Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Subscribed.Count == expected), $"{_rig.Broker.Subscribed.Count} subscribes after {i} intervals");
        }

        Volatile.Write(ref allowed, true);
        await _rig.AdvanceAsync(Interval);
        Assert.True(await Eventually.TrueAsync(() => !_rig.Connection.HasMissingSubscriptions));
        await _rig.AdvanceAsync(Interval);
        await Task.Delay(200);

        Assert.Equal(5, _rig.Broker.Subscribed.Count);
        var log = _rig.ConnectionLog.Collector.GetSnapshot();
        var warning = Assert.Single(log, r => r.Message.StartsWith("Not subscribed to RESULT/#", StringComparison.Ordinal));
        Assert.Contains("NotAuthorized", warning.Message, StringComparison.Ordinal);
        Assert.Single(log, r => r.Message.StartsWith("Subscribed to RESULT/#", StringComparison.Ordinal));
        Assert.Equal(1, _rig.Broker.Connects);
    }
}
