using System.Net.Sockets;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Tests.Support;
using MQTTnet;
using MQTTnet.Exceptions;

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

    /// <summary>Starts the supervisor with the link down and lets its backoff grow to a wait of 16 s.</summary>
    private async Task FailUntilTheWaitIs16SecondsAsync()
    {
        await _rig.Supervisor.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Connects == 1), "no first attempt");
        foreach (int seconds in (int[])[1, 2, 4, 8])
        {
            int attempts = _rig.Broker.Connects;
            Assert.True(await Eventually.TrueAsync(() => _rig.Retries == attempts), $"{_rig.Retries} retries after {attempts} attempts");
            await _rig.AdvanceAsync(TimeSpan.FromSeconds(seconds));
            Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Connects == attempts + 1), $"{_rig.Broker.Connects} attempts");
        }

        Assert.True(await Eventually.TrueAsync(() => _rig.Retries == 5), $"{_rig.Retries} retries");
    }

    [Fact]
    public async Task LinkBack_WhileWaitingOutTheBackoff_ConnectsAtOnce_AndSaysWhy()
    {
        await FailUntilTheWaitIs16SecondsAsync();

        LinkComesUp();
        await _rig.AdvanceAsync(TimeSpan.FromMilliseconds(1));

        Assert.True(await Eventually.TrueAsync(() => _rig.Connection.State == ConnectionState.Connected), "not connected within a millisecond");
        Assert.Equal(6, _rig.Broker.Connects);
        Assert.Equal(1, LinkUps);
    }

    [Fact]
    public async Task LinkBackAgain_SoonAfterAnEarlyAttempt_TriesWhenTheGapHasPassed_NotAtTheBackoffsAttempt()
    {
        await FailUntilTheWaitIs16SecondsAsync();
        _rig.Link.Observe(Up);
        await _rig.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.True(await Eventually.TrueAsync(() => _rig.Retries == 6), $"{_rig.Retries} retries");

        // Back again 2 s after the early attempt, which failed: the next comes 6 s after that one, long before the backoff's 32 s.
        await _rig.AdvanceAsync(TimeSpan.FromSeconds(2));
        _rig.Link.Observe(Down);
        LinkComesUp();
        await _rig.AdvanceAsync(TimeSpan.FromSeconds(3.9));
        Assert.Equal(6, _rig.Broker.Connects);
        await _rig.AdvanceAsync(TimeSpan.FromSeconds(0.1));

        Assert.True(await Eventually.TrueAsync(() => _rig.Connection.State == ConnectionState.Connected), $"{_rig.Broker.Connects} connects");
        Assert.Equal(7, _rig.Broker.Connects);
        Assert.Equal(2, LinkUps);
    }

    [Fact]
    public async Task TenLinkUpsWithinASecond_BringOneAttemptForward()
    {
        await FailUntilTheWaitIs16SecondsAsync();

        // The first brings an attempt forward; the nine after it, within the gap, are planned into one attempt 6 s later.
        for (int i = 0; i < 10; i++)
        {
            _rig.Link.Observe(Up);
            _rig.Link.Observe(Down);
            await _rig.AdvanceAsync(TimeSpan.FromMilliseconds(100));
            Assert.True(await Eventually.TrueAsync(() => _rig.Retries == 6), $"{_rig.Retries} retries after {i + 1} link-ups");
        }

        // The early attempt was 0.1 s after the first link-up, 0.9 s before the loop ended: the planned one is 5.1 s on.
        await _rig.AdvanceAsync(TimeSpan.FromSeconds(5.09));
        Assert.Equal(6, _rig.Broker.Connects);
        await _rig.AdvanceAsync(TimeSpan.FromSeconds(0.01));
        Assert.True(await Eventually.TrueAsync(() => _rig.Broker.Connects == 7), $"{_rig.Broker.Connects} connects");
        Assert.Equal(2, LinkUps);
    }

    [Fact]
    public async Task LinkUp_WhileConnected_ChangesNothing()
    {
        LinkComesUp();
        await _rig.StartConnectedAsync();

        _rig.Link.Observe(Down);
        _rig.Link.Observe(Up);

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

        // Up for half of each second, down for the other half, in steps of a tenth; each step lets what it fired run.
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

            // Pacing the simulation, not a proof: the lower bound below fails if what a step fired did not run.
            await Task.Delay(5);
        }

        // Each connection lives half a second, so the backoff keeps growing; the link's returns bring attempts forward
        // at most every 6 s: about 11 reach the broker in the minute (bench: a simulation of this schedule gives 11).
        Assert.True(Volatile.Read(ref reached) is >= 6 and <= 12, $"{reached} CONNECTs reached the broker in the minute");
    }
}
