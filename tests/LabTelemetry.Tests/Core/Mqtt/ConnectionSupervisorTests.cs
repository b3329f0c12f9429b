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

    /// <summary>Lets the connection last longer than <see cref="ConnectionSupervisor.StableConnection"/>, so a drop after it is not short-lived.</summary>
    private async Task StayConnectedAsync()
    {
        for (var lasted = TimeSpan.Zero; lasted <= ConnectionSupervisor.StableConnection; lasted += Interval)
        {
            await _rig.AdvanceAsync(Interval);
        }
    }

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
        await StayConnectedAsync();

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
        _rig.Connection.Subscriptions.Add("RESULT/#", int.MaxValue);
        _rig.Broker.ConnectAnswer = _ => new(MqttClientConnectResultCode.Success, SessionPresent: true);
        await _rig.StartConnectedAsync();
        await StayConnectedAsync();

        await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.ServerShuttingDown));
        Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Connects == 2 && _rig.Connection.State == ConnectionState.Connected));

        Assert.Equal(["RESULT/#", "RESULT/#"], _rig.Broker.Subscribed);
    }

    [Fact]
    public async Task RefusedSubscription_IsAWarningOnce_RetriedAtTheHealthCheckPace_UntilGranted()
    {
        _rig.Connection.Subscriptions.Add("RESULT/#", int.MaxValue);
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
        Assert.True(await Eventually.TrueAsync(() => !_rig.Connection.Subscriptions.HasMissing));
        await _rig.AdvanceAsync(Interval);
        await Task.Delay(200);

        Assert.Equal(5, _rig.Broker.Subscribed.Count);
        var log = _rig.ConnectionLog.Collector.GetSnapshot();
        var warning = Assert.Single(log, r => r.Message.StartsWith("Not subscribed to RESULT/#", StringComparison.Ordinal));
        Assert.Contains("NotAuthorized", warning.Message, StringComparison.Ordinal);
        Assert.Single(log, r => r.Message.StartsWith("Subscribed to RESULT/#", StringComparison.Ordinal));
        Assert.Equal(1, _rig.Broker.Connects);
    }

    /// <summary>Plays a twin with our client id: every connection is taken over as soon as it is made, for <paramref name="seconds"/> of fake time.</summary>
    private async Task TwinAsync(MqttClientDisconnectReason reason, int seconds)
    {
        await _rig.Supervisor.StartAsync(CancellationToken.None);
        for (int t = 0; t < seconds; t++)
        {
            if (_rig.Connection.State == ConnectionState.Connected)
            {
                await _rig.Broker.DropAsync(new BrokerDisconnected(true, reason));
            }

            _rig.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task TakenOverAgainAndAgain_BacksOffToTheCap_AndSaysOnceWhoToBlame()
    {
        await TwinAsync(MqttClientDisconnectReason.SessionTakenOver, seconds: 600);

        // Backoff 1, 2, 4, 8, 16, then 30 s (±20 %): about 24 connects in ten minutes, not one a second.
        Assert.InRange(_rig.Broker.Connects, 8, 30);
        var warning = Assert.Single(_rig.SupervisorLog.Collector.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains("another client connected with our client id labtelemetry-b827eb123456", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Mqtt:ClientId", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DroppedRightAfterEachConnect_WithoutAReason_BacksOffToo_AndWarnsAfterThreeInARow()
    {
        await TwinAsync(MqttClientDisconnectReason.UnspecifiedError, seconds: 600);

        Assert.InRange(_rig.Broker.Connects, 8, 30);
        var warning = Assert.Single(_rig.SupervisorLog.Collector.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains("3 times in a row", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterAStableConnection_ADropReconnectsAtOnce()
    {
        await _rig.StartConnectedAsync();
        await StayConnectedAsync();

        await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.ServerShuttingDown));

        Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Connects == 2), "a drop after 15 s of connection waits for no backoff");
    }

    [Fact]
    public async Task ADropReportedLate_AfterTheReconnect_DoesNotUndoTheNewLink_NorStartAStorm()
    {
        _rig.Connection.Subscriptions.Add("RESULT/#", int.MaxValue);
        await _rig.StartConnectedAsync();
        await StayConnectedAsync();

        // The supervisor finds the link dead by its ping and connects again before MQTTnet's event for the old link,
        // which it raises on the thread pool, is handled.
        _rig.Broker.DisconnectedOnlyWhenTold = true;
        await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.UnspecifiedError));
        await _rig.AdvanceAsync(Interval);
        Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Connects == 2 && _rig.Connection.State == ConnectionState.Connected));
        await _rig.Broker.RaiseDisconnectedAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.UnspecifiedError));

        int pings = _rig.Broker.Pings;
        await Task.Delay(300);
        Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
        Assert.InRange(_rig.Broker.Pings - pings, 0, 1);
        await _rig.Connection.WaitUntilConnectedAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
