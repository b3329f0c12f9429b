using System.Net.Sockets;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Tests.Support;
using MQTTnet;
using MQTTnet.Exceptions;
using static LabTelemetry.Tests.Support.WatchedTimeProvider;

namespace LabTelemetry.Tests.Core.Mqtt;

/// <summary>When the network link comes back, the supervisor connects at once instead of waiting out its backoff; a flapping link cannot storm the broker.</summary>
public sealed class LinkReturnTests : IAsyncDisposable
{
    private static readonly NetworkState Down = new("wlan0", true, false, string.Empty, "b8:27:eb:12:34:56");
    private static readonly NetworkState Up = new("wlan0", true, true, "10.231.0.2", "b8:27:eb:12:34:56");

    private readonly ConnectionRig _rig = new();
    private bool _linkUp;

    public LinkReturnTests()
    {
        // The network as the device sees it: while the link is down, a connect fails at once, and nothing reaches the broker.
        _rig.Broker.ConnectAnswer = n => Volatile.Read(ref _linkUp)
            ? new ConnectAnswer(MqttClientConnectResultCode.Success, false)
            : throw new MqttCommunicationException("Error while connecting", new SocketException((int)SocketError.NetworkUnreachable));
        _rig.Link.Observe(Down);
    }

    public ValueTask DisposeAsync() => _rig.DisposeAsync();

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    private int LinkUps => _rig.SupervisorLog.Collector.GetSnapshot().Count(r => r.Message.StartsWith("Link up:", StringComparison.Ordinal));

    private void LinkComesUp()
    {
        Volatile.Write(ref _linkUp, true);
        _rig.Link.Observe(Up);
    }

    private void LinkGoesDown()
    {
        Volatile.Write(ref _linkUp, false);
        _rig.Link.Observe(Down);
    }

    /// <summary>Starts the supervisor with the link down: attempts at 0, 1, 3, 7 and 15 s fail, and the next waits 16 s, until 31 s.</summary>
    private async Task FailUntilTheWaitIs16SecondsAsync()
    {
        await _rig.Supervisor.StartAsync(CancellationToken.None);
        foreach (double at in (double[])[1, 3, 7, 15])
        {
            await _rig.Time.ParkedAsync(At(at));
            _rig.Time.AdvanceTo(At(at));
        }

        await _rig.Time.ParkedAsync(At(31));
        Assert.Equal(5, _rig.Broker.Connects);
    }

    [Fact]
    public async Task LinkBack_WhileWaitingOutTheBackoff_ConnectsAtOnce_AndSaysWhy()
    {
        await FailUntilTheWaitIs16SecondsAsync();

        LinkComesUp();
        await _rig.Time.ParkedAsync(At(15) + JustBefore, At(31));
        _rig.Time.AdvanceTo(At(15) + JustBefore);

        // Connected within a tick of fake time, the health check next due 5 s on.
        await _rig.Time.ParkedAsync(() => _rig.Connection.State == ConnectionState.Connected, At(20) + JustBefore);
        Assert.Equal(6, _rig.Broker.Connects);
        Assert.Equal(1, LinkUps);
    }

    [Fact]
    public async Task LinkBackAgain_SoonAfterAnEarlyAttempt_TriesWhenTheGapHasPassed_NotAtTheBackoffsAttempt()
    {
        await FailUntilTheWaitIs16SecondsAsync();

        // Up but still no route (the address not yet there): the early attempt fails, and the backoff waits its cap, 30 s.
        _rig.Link.Observe(Up);
        await _rig.Time.ParkedAsync(At(15) + JustBefore, At(31));
        _rig.Time.AdvanceTo(At(15) + JustBefore);
        await _rig.Time.ParkedAsync(At(45) + JustBefore);

        // Back again 2 s later: the next early attempt comes 6 s after the first, long before the backoff's.
        _rig.Time.AdvanceTo(At(17));
        _rig.Link.Observe(Down);
        LinkComesUp();
        await _rig.Time.ParkedAsync(At(21) + JustBefore, At(45) + JustBefore);
        _rig.Time.AdvanceTo(At(21));
        Assert.Equal(6, _rig.Broker.Connects);
        _rig.Time.AdvanceTo(At(21) + JustBefore);

        await _rig.Time.ParkedAsync(() => _rig.Connection.State == ConnectionState.Connected, At(26) + JustBefore);
        Assert.Equal(7, _rig.Broker.Connects);
        Assert.Equal(2, LinkUps);
    }

    [Fact]
    public async Task TenLinkUpsWithinASecond_BringOneAttemptForward_TheRestComeTogetherAfterTheGap()
    {
        await FailUntilTheWaitIs16SecondsAsync();

        // The first brings an attempt forward (it fails: no route yet); the nine after it, within the gap, one planned attempt.
        _rig.Link.Observe(Up);
        _rig.Link.Observe(Down);
        _rig.Time.AdvanceTo(At(15) + JustBefore);
        await _rig.Time.ParkedAsync(At(45) + JustBefore);
        for (int i = 1; i < 10; i++)
        {
            _rig.Time.AdvanceTo(At(15 + (i * 0.1)));
            _rig.Link.Observe(Up);
            _rig.Link.Observe(Down);
        }

        await _rig.Time.ParkedAsync(At(21) + JustBefore, At(45) + JustBefore);
        _rig.Time.AdvanceTo(At(21));
        Assert.Equal(6, _rig.Broker.Connects);
        _rig.Time.AdvanceTo(At(21) + JustBefore);
        await _rig.Time.ParkedAsync(() => _rig.Broker.Connects == 7, At(51) + JustBefore);
        Assert.Equal(2, LinkUps);
    }

    [Fact]
    public async Task LinkUp_WhileConnected_ChangesNothing()
    {
        LinkComesUp();
        await _rig.StartConnectedAsync();
        await _rig.Time.ParkedAsync(At(5));

        _rig.Link.Observe(Down);
        _rig.Link.Observe(Up);

        await _rig.Time.ParkedAsync(At(5));
        Assert.Equal(0, LinkUps);
        Assert.Equal(1, _rig.Broker.Connects);
        Assert.Equal(ConnectionState.Connected, _rig.Connection.State);
    }

    [Fact]
    public async Task AMinuteOfALinkFlappingEverySecond_GivesAtMostTwelveConnects()
    {
        LinkComesUp();
        await _rig.StartConnectedAsync();
        int reached = 0;
        var answer = _rig.Broker.ConnectAnswer;
        _rig.Broker.ConnectAnswer = n =>
        {
            var connack = answer(n);
            Interlocked.Increment(ref reached);
            return connack;
        };
        int Successes() => _rig.ConnectionLog.Collector.GetSnapshot().Count(r => r.Message.StartsWith("Connected to", StringComparison.Ordinal));

        // Up for half of each second, down for the other half, in steps of a tenth; each step waits until what it
        // fired has run: every attempt begun has failed (a warning) or succeeded (a line), and the pool is idle.
        for (int tenth = 0; tenth < 600; tenth++)
        {
            if (tenth % 10 == 0)
            {
                LinkComesUp();
            }
            else if (tenth % 10 == 5)
            {
                // The connection dies with the link, as a Wi-Fi that drops takes the TCP connection with it.
                LinkGoesDown();
                if (_rig.Broker.IsConnected)
                {
                    await _rig.Broker.DropAsync(new BrokerDisconnected(true, MqttClientDisconnectReason.UnspecifiedError));
                }
            }

            _rig.Time.Advance(TimeSpan.FromMilliseconds(100));
            Assert.True(
                await Eventually.TrueAsync(() => ThreadPool.PendingWorkItemCount == 0 && _rig.Broker.Connects == _rig.Retries + Successes()),
                $"at {_rig.Time.Elapsed}: {_rig.Broker.Connects} attempts, {_rig.Retries} failed, {Successes()} connected");
        }

        // Each connection lives half a second, so the backoff keeps growing; the link's returns bring attempts forward
        // at most every 6 s: about 11 reach the broker in the minute (a simulation of this schedule gives 11; 59 without
        // the gap). The storm is what is bounded; fewer only means a loaded machine's supervisor was still between two
        // waits when a step moved time on (2 were seen at a load of 30), so the floor asks only that links were made.
        Assert.True(Volatile.Read(ref reached) is >= 1 and <= 12, $"{reached} CONNECTs reached the broker in the minute");
    }
}
