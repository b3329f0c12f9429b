using LabTelemetry.Core.Mqtt;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using MQTTnet;
using static LabTelemetry.Tests.Support.WatchedTimeProvider;

namespace LabTelemetry.Tests.Core.Mqtt;

/// <summary>
/// The supervisor's pace around each fault, counted at the connection's seam on fake time. Time moves only while the
/// supervisor waits on its timer, and first to just before the moment something is due: what is counted then cannot
/// change until that moment. Health checks every 5 s; reconnects 1, 2, 4, 8, 16, then 30 s apart (jitter fixed).
/// </summary>
public sealed class ConnectionSupervisorTests : IAsyncDisposable
{
    private readonly ConnectionRig _rig = new();

    public ValueTask DisposeAsync() => _rig.DisposeAsync();

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    private static double[] Seconds(IEnumerable<TimeSpan> moments) => [.. moments.Select(m => m.TotalSeconds)];

    /// <summary>From a connection made at 0 s, the health checks at 5, 10 and 15 s: longer than <see cref="ConnectionSupervisor.StableConnection"/>.</summary>
    private async Task StayConnectedUntil15sAsync()
    {
        foreach (double check in new[] { 5, 10, 15 })
        {
            await _rig.Time.ParkedAsync(At(check));
            _rig.Time.AdvanceTo(At(check));
        }

        await _rig.Time.ParkedAsync(At(20));
    }

    [Fact]
    public async Task Healthy_PingsOncePerHealthCheckInterval_AndNotBetween()
    {
        await _rig.StartConnectedAsync();

        for (int i = 1; i <= 10; i++)
        {
            var check = At(5 * i);
            await _rig.Time.ParkedAsync(check);
            _rig.Time.AdvanceTo(check - JustBefore);
            Assert.Equal(i - 1, _rig.Broker.Pings);
            _rig.Time.AdvanceTo(check);
        }

        await _rig.Time.ParkedAsync(At(55));
        Assert.Equal([5, 10, 15, 20, 25, 30, 35, 40, 45, 50], Seconds(_rig.Broker.PingMoments));
        Assert.Equal(1, _rig.Broker.Connects);
    }

    [Fact]
    public async Task WhilePublishesAreAnswered_NoPings_AndAHealthCheckIntervalAfterTheLastOneWasSent_PingsAgain()
    {
        await _rig.StartConnectedAsync();

        // A reading a second from 1 s to 12 s, each acknowledged: the checks at 5 and 10 s (and 15 s, 3 s after the
        // last was sent) need no ping; the one at 20 s does.
        for (int second = 1; second <= 12; second++)
        {
            await _rig.Time.ParkedAsync(At(5 * ((second + 4) / 5)));
            _rig.Time.AdvanceTo(At(second));
            var outcome = await _rig.Connection.Publisher.PublishAsync("DATA/x", [1], 1, TimeSpan.FromSeconds(10), CancellationToken.None);
            Assert.Equal(PublishVerdict.Delivered, outcome.Verdict);
        }

        foreach (double check in new[] { 15, 20, 25 })
        {
            await _rig.Time.ParkedAsync(At(check));
            _rig.Time.AdvanceTo(At(check));
        }

        await _rig.Time.ParkedAsync(At(30));
        Assert.Equal([20, 25], Seconds(_rig.Broker.PingMoments));
        Assert.Equal(12, _rig.Broker.Published.Count(m => m.Topic == "DATA/x"));
        Assert.Equal(1, _rig.Broker.Connects);
    }

    [Fact]
    public async Task AfterAPublishWentUnanswered_PingsOnceAtOnce_ThenKeepsItsPace()
    {
        await _rig.StartConnectedAsync();
        await _rig.Time.ParkedAsync(At(5));
        long mark = _rig.Time.Mark();

        _rig.Connection.ReportUnhealthy();

        // The ping at 0 s, with no time passing; the next check an interval after it.
        await _rig.Time.ParkedAgainAsync(mark, At(5));
        Assert.Equal([0], Seconds(_rig.Broker.PingMoments));
        Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
        _rig.Time.AdvanceTo(At(5) - JustBefore);
        Assert.Equal(1, _rig.Broker.Pings);
        _rig.Time.AdvanceTo(At(5));
        await _rig.Time.ParkedAsync(At(10));
        Assert.Equal([0, 5], Seconds(_rig.Broker.PingMoments));
    }

    [Fact]
    public async Task WhenTheLinkDrops_ReconnectsAtOnce_AndSaysSoOnce()
    {
        await _rig.StartConnectedAsync();
        await StayConnectedUntil15sAsync();
        long mark = _rig.Time.Mark();

        await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.ServerShuttingDown));

        await _rig.Time.ParkedAgainAsync(mark, At(20));
        Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
        Assert.Equal([0, 15], Seconds(_rig.Broker.ConnectMoments));
        Assert.Single(_rig.ConnectionLog.Collector.GetSnapshot(), r => r.Message.Contains("ServerShuttingDown", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhileTheBrokerRefuses_RetriesWithGrowingDelays_NotAStorm()
    {
        _rig.Broker.ConnectAnswer = n => new(n <= 4 ? MqttClientConnectResultCode.NotAuthorized : MqttClientConnectResultCode.Success, false);
        await _rig.Supervisor.StartAsync(CancellationToken.None);

        // Refused at 0, 1, 3 and 7 s; each time the backoff alone is armed, and no attempt comes before it is due.
        double[] attempts = [0, 1, 3, 7, 15];
        for (int i = 1; i < attempts.Length; i++)
        {
            await _rig.Time.ParkedAsync(At(attempts[i]));
            _rig.Time.AdvanceTo(At(attempts[i]) - JustBefore);
            Assert.Equal(i, _rig.Broker.Connects);
            _rig.Time.AdvanceTo(At(attempts[i]));
        }

        await _rig.Time.ParkedAsync(At(20));
        Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
        Assert.Equal(attempts, Seconds(_rig.Broker.ConnectMoments));
        Assert.Equal(4, _rig.Retries);
    }

    [Fact]
    public async Task OnStop_SaysGoodbye_AndADropAfterIsNotReported()
    {
        await _rig.StartConnectedAsync();

        await _rig.Supervisor.StopAsync(CancellationToken.None);

        Assert.Equal(ConnectionState.Stopping, _rig.Connection.State);
        Assert.False(_rig.Broker.IsConnected);
        Assert.DoesNotContain(_rig.ConnectionLog.Collector.GetSnapshot(), r => r.Message.StartsWith("Disconnected from", StringComparison.Ordinal) && r.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task EveryConnect_Subscribes_EvenWhenTheBrokerKeptTheSession()
    {
        _rig.Connection.Subscriptions.Add("RESULT/#", int.MaxValue);
        _rig.Broker.ConnectAnswer = _ => new(MqttClientConnectResultCode.Success, SessionPresent: true);
        await _rig.StartConnectedAsync();
        await StayConnectedUntil15sAsync();
        long mark = _rig.Time.Mark();

        await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.ServerShuttingDown));

        await _rig.Time.ParkedAgainAsync(mark, At(20));
        Assert.Equal(2, _rig.Broker.Connects);
        Assert.Equal(["RESULT/#", "RESULT/#"], _rig.Broker.Subscribed);
    }

    [Fact]
    public async Task RefusedSubscription_IsAWarningOnce_RetriedAtTheHealthCheckPace_UntilGranted()
    {
        _rig.Connection.Subscriptions.Add("RESULT/#", int.MaxValue);
        bool allowed = false;
        _rig.Broker.SubscribeAnswer = _ => new(Volatile.Read(ref allowed) ? MqttClientSubscribeResultCode.GrantedQoS1 : MqttClientSubscribeResultCode.NotAuthorized);
        await _rig.StartConnectedAsync();

        // Refused at connect (0 s) and at the checks of 5, 10 and 15 s; none in between.
        for (int i = 1; i <= 3; i++)
        {
            await _rig.Time.ParkedAsync(At(5 * i));
            _rig.Time.AdvanceTo(At(5 * i) - JustBefore);
            Assert.Equal(i, _rig.Broker.Subscribed.Count);
            _rig.Time.AdvanceTo(At(5 * i));
        }

        await _rig.Time.ParkedAsync(At(20));
        Assert.Equal(4, _rig.Broker.Subscribed.Count);
        Volatile.Write(ref allowed, true);
        _rig.Time.AdvanceTo(At(20));
        await _rig.Time.ParkedAsync(At(25));
        Assert.Equal(5, _rig.Broker.Subscribed.Count);
        Assert.False(_rig.Connection.Subscriptions.HasMissing);

        // Granted: the next check does not ask again.
        _rig.Time.AdvanceTo(At(25));
        await _rig.Time.ParkedAsync(At(30));
        Assert.Equal(5, _rig.Broker.Subscribed.Count);
        Assert.Equal([5, 10, 15, 20, 25], Seconds(_rig.Broker.PingMoments));
        var log = _rig.ConnectionLog.Collector.GetSnapshot();
        var warning = Assert.Single(log, r => r.Message.StartsWith("Not subscribed to RESULT/#", StringComparison.Ordinal));
        Assert.Contains("NotAuthorized", warning.Message, StringComparison.Ordinal);
        Assert.Single(log, r => r.Message.StartsWith("Subscribed to RESULT/#", StringComparison.Ordinal));
        Assert.Equal(1, _rig.Broker.Connects);
    }

    // A twin with our client id takes every connection over as soon as it is made: 1, 2, 4, 8, 16 s between
    // reconnects, then the cap of 30 s. Ten minutes hold 24 connects, at these moments.
    private static readonly double[] TwinConnects =
        [0, 1, 3, 7, 15, 31, 61, 91, 121, 151, 181, 211, 241, 271, 301, 331, 361, 391, 421, 451, 481, 511, 541, 571];

    /// <summary>
    /// Plays the twin for ten minutes of fake time: each connection dropped at once with <paramref name="reason"/>,
    /// then time moved to just before the next reconnect (none yet), and to it.
    /// </summary>
    private async Task TwinForTenMinutesAsync(MqttClientDisconnectReason reason)
    {
        await _rig.Supervisor.StartAsync(CancellationToken.None);
        for (int i = 0; i < TwinConnects.Length; i++)
        {
            // Connected, and waiting for the health check: the twin takes over.
            await _rig.Time.ParkedAsync(At(TwinConnects[i]) + _rig.Options.HealthCheckInterval);
            Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
            long mark = _rig.Time.Mark();
            await _rig.Broker.DropAsync(new BrokerDisconnected(true, reason));

            // After the last, the next is due at 601 s: past the ten minutes.
            var next = At(i + 1 < TwinConnects.Length ? TwinConnects[i + 1] : 601);
            await _rig.Time.ParkedAgainAsync(mark, next);
            _rig.Time.AdvanceTo(next - JustBefore);
            Assert.Equal(i + 1, _rig.Broker.Connects);
            if (next <= At(600))
            {
                _rig.Time.AdvanceTo(next);
            }
        }

        Assert.Equal(TwinConnects, Seconds(_rig.Broker.ConnectMoments));
    }

    [Fact]
    public async Task TakenOverAgainAndAgain_BacksOffToTheCap_AndSaysOnceWhoToBlame()
    {
        await TwinForTenMinutesAsync(MqttClientDisconnectReason.SessionTakenOver);

        var warning = Assert.Single(_rig.SupervisorLog.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("another client connected with our client id labtelemetry-b827eb123456", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Mqtt:ClientId", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DroppedRightAfterEachConnect_WithoutAReason_BacksOffToo_AndWarnsAfterThreeInARow()
    {
        await TwinForTenMinutesAsync(MqttClientDisconnectReason.UnspecifiedError);

        var warning = Assert.Single(_rig.SupervisorLog.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("3 times in a row", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterAConnectionThatHeld_ADropReconnectsAtOnce_AndTheBackoffStartsAgain()
    {
        // Refused twice (backoff 1 s, then 2 s), connected at 3 s, held until 18 s: longer than StableConnection.
        _rig.Broker.ConnectAnswer = n => new(n <= 2 ? MqttClientConnectResultCode.NotAuthorized : MqttClientConnectResultCode.Success, false);
        await _rig.Supervisor.StartAsync(CancellationToken.None);
        foreach (double moment in new[] { 1, 3, 8, 13, 18 })
        {
            await _rig.Time.ParkedAsync(At(moment));
            _rig.Time.AdvanceTo(At(moment));
        }

        await _rig.Time.ParkedAsync(At(23));
        long mark = _rig.Time.Mark();
        await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.ServerShuttingDown));
        await _rig.Time.ParkedAgainAsync(mark, At(23));
        Assert.Equal([0, 1, 3, 18], Seconds(_rig.Broker.ConnectMoments));

        // Dropped again at once: the first step of the backoff (1 s), not the third (4 s).
        mark = _rig.Time.Mark();
        await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.ServerShuttingDown));
        await _rig.Time.ParkedAgainAsync(mark, At(19));
        _rig.Time.AdvanceTo(At(19));
        await _rig.Time.ParkedAsync(At(24));
        Assert.Equal([0, 1, 3, 18, 19], Seconds(_rig.Broker.ConnectMoments));
    }

    [Fact]
    public async Task ADropReportedLate_AfterTheReconnect_DoesNotUndoTheNewLink_NorStartAStorm()
    {
        _rig.Connection.Subscriptions.Add("RESULT/#", int.MaxValue);
        await _rig.StartConnectedAsync();
        await StayConnectedUntil15sAsync();

        // The supervisor finds the link gone at its check of 20 s and connects again before MQTTnet's event for the
        // old link, which it raises on the thread pool, is handled.
        _rig.Broker.DisconnectedOnlyWhenTold = true;
        await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.UnspecifiedError));
        _rig.Time.AdvanceTo(At(20));
        await _rig.Time.ParkedAsync(At(25));
        Assert.Equal([0, 20], Seconds(_rig.Broker.ConnectMoments));

        await _rig.Broker.RaiseDisconnectedAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.UnspecifiedError));

        Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
        _rig.Time.AdvanceTo(At(25) - JustBefore);
        Assert.Equal([5, 10, 15], Seconds(_rig.Broker.PingMoments));
        _rig.Time.AdvanceTo(At(25));
        await _rig.Time.ParkedAsync(At(30));
        Assert.Equal([5, 10, 15, 25], Seconds(_rig.Broker.PingMoments));
        Assert.Equal(2, _rig.Broker.Connects);
        Assert.DoesNotContain(_rig.ConnectionLog.Collector.GetSnapshot(), r => r.Message.StartsWith("Disconnected from", StringComparison.Ordinal));
    }
}
