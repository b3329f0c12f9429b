using System.Buffers;
using System.Collections.Concurrent;
using LabTelemetry.Core.Mqtt;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;

namespace LabTelemetry.Tests.Support;

/// <summary>
/// A broker played by the test, behind the connection's seam: it counts every CONNECT, PINGREQ, PUBLISH and
/// SUBSCRIBE, answers as the test says, and drops the link or delivers a message when told. On fake time it also
/// notes the moment of each CONNECT and PINGREQ.
/// </summary>
/// <param name="time">The clock whose moments (since its start) are noted; none noted without it.</param>
internal sealed class FakeBrokerClient(FakeTimeProvider? time = null) : IBrokerClient
{
    private readonly ConcurrentQueue<TimeSpan> _connectMoments = new();
    private readonly ConcurrentQueue<TimeSpan> _pingMoments = new();
    private int _connects;
    private int _pings;

    public bool IsConnected { get; private set; }

    public Func<BrokerDisconnected, Task>? Disconnected { get; set; }

    public Func<string, ReadOnlySequence<byte>, Task>? MessageReceived { get; set; }

    /// <summary>Gets or sets the CONNACK for the n-th CONNECT (1-based); throwing plays a broker that never answers.</summary>
    public Func<int, ConnectAnswer> ConnectAnswer { get; set; } = _ => new(MqttClientConnectResultCode.Success, SessionPresent: false);

    /// <summary>Gets or sets whether a PINGREQ gets its PINGRESP.</summary>
    public bool AnswersPings { get; set; } = true;

    /// <summary>Gets or sets the answer to a publish; by default the broker acknowledges at once.</summary>
    public Func<MqttApplicationMessage, CancellationToken, Task<PublishAnswer>> PublishAnswer { get; set; } =
        (_, _) => Task.FromResult(new PublishAnswer(true, MqttClientPublishReasonCode.Success));

    public Func<string, SubscribeAnswer> SubscribeAnswer { get; set; } = _ => new(MqttClientSubscribeResultCode.GrantedQoS1);

    public int Connects => Volatile.Read(ref _connects);

    public int Pings => Volatile.Read(ref _pings);

    /// <summary>Gets the moments of the CONNECTs, since the clock's start.</summary>
    public TimeSpan[] ConnectMoments => [.. _connectMoments];

    /// <summary>Gets the moments of the PINGREQs, since the clock's start.</summary>
    public TimeSpan[] PingMoments => [.. _pingMoments];

    /// <summary>Gets the options of the last CONNECT: the client id and the will it carried.</summary>
    public MqttClientOptions? LastConnect { get; private set; }

    public ConcurrentQueue<MqttApplicationMessage> Published { get; } = new();

    public ConcurrentQueue<string> Subscribed { get; } = new();

    public Task<ConnectAnswer> ConnectAsync(MqttClientOptions options, CancellationToken cancellationToken)
    {
        Note(_connectMoments);
        LastConnect = options;
        var answer = ConnectAnswer(Interlocked.Increment(ref _connects));
        IsConnected = answer.Code == MqttClientConnectResultCode.Success;
        return Task.FromResult(answer);
    }

    public async Task<PublishAnswer> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        if (!IsConnected)
        {
            throw new MQTTnet.Exceptions.MqttCommunicationException("not connected");
        }

        var answer = await PublishAnswer(message, cancellationToken);
        if (answer.IsSuccess)
        {
            Published.Enqueue(message);
        }

        return answer;
    }

    public Task<SubscribeAnswer> SubscribeAsync(string topicFilter, CancellationToken cancellationToken)
    {
        Subscribed.Enqueue(topicFilter);
        return Task.FromResult(SubscribeAnswer(topicFilter));
    }

    public Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        Note(_pingMoments);
        Interlocked.Increment(ref _pings);
        return Task.FromResult(IsConnected && AnswersPings);
    }

    public Task DisconnectAsync(CancellationToken cancellationToken) => DropAsync(new BrokerDisconnected(IsConnected, MqttClientDisconnectReason.NormalDisconnection));

    public Task AbandonAsync() => DropAsync(new BrokerDisconnected(IsConnected, MqttClientDisconnectReason.NormalDisconnection));

    /// <summary>Gets or sets a value indicating whether <see cref="DropAsync"/> leaves the event to <see cref="RaiseDisconnectedAsync"/>, as MQTTnet raises it late on the thread pool.</summary>
    public bool DisconnectedOnlyWhenTold { get; set; }

    /// <summary>The link drops, as a broker's DISCONNECT or a dead socket would make it.</summary>
    public Task DropAsync(BrokerDisconnected why)
    {
        IsConnected = false;
        return DisconnectedOnlyWhenTold ? Task.CompletedTask : RaiseDisconnectedAsync(why);
    }

    /// <summary>Raises the disconnected event now, whenever the link dropped.</summary>
    public Task RaiseDisconnectedAsync(BrokerDisconnected why) => Disconnected?.Invoke(why) ?? Task.CompletedTask;

    public Task DeliverAsync(string topic, byte[] payload) => MessageReceived?.Invoke(topic, new ReadOnlySequence<byte>(payload)) ?? Task.CompletedTask;

    public void Dispose()
    {
    }

    private void Note(ConcurrentQueue<TimeSpan> moments)
    {
        if (time is not null)
        {
            moments.Enqueue(time.GetUtcNow() - time.Start);
        }
    }
}
