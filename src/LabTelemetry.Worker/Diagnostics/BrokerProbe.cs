using System.Diagnostics;
using System.Net.Sockets;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using MQTTnet;

namespace LabTelemetry.Worker.Diagnostics;

/// <summary>
/// Talks to the broker as the service would, under a client id of its own (the service's id plus a suffix) and
/// with a clean session, so a running service keeps its connection and its session.
/// </summary>
internal sealed class BrokerProbe(MqttOptions options, DeviceIdentity device, string suffix) : IDisposable
{
    private static readonly TimeSpan TcpTimeout = TimeSpan.FromSeconds(3);

    // check answers in seconds: no step waits the service's whole operation timeout.
    private readonly TimeSpan _stepTimeout = options.OperationTimeout < TimeSpan.FromSeconds(5) ? options.OperationTimeout : TimeSpan.FromSeconds(5);
    private readonly MqttNetBrokerClient _client = new();

    public string Broker => $"{options.Host}:{options.Port}";

    public IBrokerClient Client => _client;

    public async Task<CheckLine> TcpAsync()
    {
        var watch = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TcpTimeout);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(options.Host, options.Port, timeout.Token).ConfigureAwait(false);
            return CheckLine.Good($"broker {Broker} reachable over TCP ({watch.ElapsedMilliseconds} ms)");
        }
        catch (OperationCanceledException)
        {
            return CheckLine.Bad($"broker {Broker} does not answer over TCP within {TcpTimeout.TotalSeconds:0} s", "check Mqtt:Host and that the network (Wi-Fi) is up; a firewall may drop the port");
        }
        catch (SocketException ex)
        {
            return CheckLine.Bad($"broker {Broker} not reachable over TCP: {ConnectFailure.Describe(ex)}", "is the broker running? check Mqtt:Host and Mqtt:Port");
        }
    }

    public async Task<CheckLine> ConnectAsync()
    {
        var clientOptions = MqttClientOptionsFactory.Create(options, device.ClientId);
        clientOptions.ClientId += suffix;
        clientOptions.CleanSession = true;
        clientOptions.SessionExpiryInterval = 0;
        try
        {
            await ConnectAttempt.RunAsync(_client, clientOptions, Broker, _stepTimeout, TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
            string login = string.IsNullOrEmpty(options.Username) ? "anonymous" : $"as {options.Username}";
            return CheckLine.Good($"MQTT connect accepted (MQTT {options.ProtocolVersion}, {login}{(options.UseTls ? ", TLS" : string.Empty)})");
        }
        catch (Exception ex) when (ex is ConnectRefusedException or ConnectClosedException or TimeoutException or MQTTnet.Exceptions.MqttCommunicationException or System.Security.Authentication.AuthenticationException)
        {
            var (what, fix) = ConnectFailure.Explain(ex);
            return CheckLine.Bad($"MQTT connect failed: {what}", fix ?? "see the broker's log");
        }
    }

    public async Task<CheckLine> SubscribeAsync(string topicFilter)
    {
        using var timeout = new CancellationTokenSource(_stepTimeout);
        try
        {
            var result = await _client.SubscribeAsync(topicFilter, timeout.Token).ConfigureAwait(false);
            return result.Granted
                ? CheckLine.Good($"subscription to {topicFilter} granted ({result.Code})")
                : CheckLine.Bad($"subscription to {topicFilter} refused ({result.Code})", "the broker's ACL does not let this user read it; ask the course, or check Results:Topic");
        }
        catch (Exception ex) when (ex is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException)
        {
            return CheckLine.Bad($"subscription to {topicFilter} not answered", "check Results:Topic");
        }
    }

    /// <summary>
    /// Publishes a probe to the DATA topic over MQTT 5, whose PUBACK says when the broker refuses it: a 3.1.1 broker
    /// acknowledges a publish its ACL denies and drops it, so the service could not tell. The probe is not the
    /// lab's shape (<c>{"probe": …}</c>): the grader answers nothing to it.
    /// </summary>
    public async Task<CheckLine> PublishProbeAsync(string topic)
    {
        var clientOptions = MqttClientOptionsFactory.Create(options, device.ClientId);
        clientOptions.ClientId += suffix + "-5";
        clientOptions.ProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion.V500;
        clientOptions.CleanSession = true;
        clientOptions.SessionExpiryInterval = 0;
        using var client = new MqttNetBrokerClient();
        using var timeout = new CancellationTokenSource(_stepTimeout);
        try
        {
            await ConnectAttempt.RunAsync(client, clientOptions, Broker, _stepTimeout, TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
            var probe = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("{\"probe\": \"labtelemetry check\"}")
                .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build();
            var answer = await client.PublishAsync(probe, timeout.Token).ConfigureAwait(false);
            await client.DisconnectAsync(timeout.Token).ConfigureAwait(false);
            return answer.IsSuccess
                ? CheckLine.Good($"the broker accepts publishes to {topic} (an MQTT 5 probe was acknowledged)")
                : CheckLine.Bad(PublishOutcome.FromRefusal(topic, answer.Code, answer.ReasonString).Problem!, "with MQTT 3.1.1 the broker would acknowledge and drop every reading: ask for the ACL to allow this topic");
        }
        catch (ConnectRefusedException ex) when (ex.Code == MqttClientConnectResultCode.UnsupportedProtocolVersion)
        {
            return CheckLine.Info($"the broker speaks only MQTT 3.1.1, which cannot say whether it takes publishes to {topic}: watch them arrive with mosquitto_sub -t '{topic}'");
        }
        catch (Exception ex) when (ex is ConnectRefusedException or ConnectClosedException or TimeoutException or OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException)
        {
            return CheckLine.Info($"an MQTT 5 probe of {topic} could not be made ({ConnectFailure.Describe(ex)}); watch readings arrive with mosquitto_sub -t '{topic}'");
        }
    }

    public void Dispose()
    {
        if (_client.IsConnected)
        {
            _client.AbandonAsync().GetAwaiter().GetResult();
        }

        _client.Dispose();
    }

}
