using System.Net.Sockets;
using LabTelemetry.Core.Mqtt;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;

namespace LabTelemetry.Tests.Core.Mqtt;

public class ConnectProblemTests
{
    private static MqttCommunicationException Wrapped(SocketError error) =>
        new MqttCommunicationException("Error while connecting host 'Unspecified/127.0.0.1:1'.", new SocketException((int)error));

    [Fact]
    public void Describe_ConnectionRefused_PointsAtHostAndPort() =>
        Assert.Equal("connection refused: no broker listens there (check Mqtt:Host and Mqtt:Port)", ConnectProblem.Describe(Wrapped(SocketError.ConnectionRefused)));

    [Fact]
    public void Describe_UnknownHost_PointsAtTheHostName() =>
        Assert.StartsWith("host name not found", ConnectProblem.Describe(Wrapped(SocketError.HostNotFound)), StringComparison.Ordinal);

    [Fact]
    public void Describe_NoRoute_PointsAtTheNetwork() =>
        Assert.Contains("Wi-Fi", ConnectProblem.Describe(Wrapped(SocketError.NetworkUnreachable)), StringComparison.Ordinal);

    [Fact]
    public void Describe_BrokerRefusedTheConnect_PointsAtTheCredentials() =>
        Assert.Contains("Mqtt:Username", ConnectProblem.Describe(new MqttConnectingFailedException("Connecting with MQTT server failed (NotAuthorized).", null)), StringComparison.Ordinal);

    [Fact]
    public void Describe_Timeout_KeepsItsMessage() =>
        Assert.Equal("no answer", ConnectProblem.Describe(new TimeoutException("no answer")));

    [Fact]
    public void Describe_Refusal_SaysTheCodeAndPointsAtTheCredentials() =>
        Assert.Equal(
            "the broker refused the connection: NotAuthorized (check Mqtt:Username, Mqtt:Password and Mqtt:ClientId)",
            ConnectProblem.Describe(new ConnectRefusedException(MQTTnet.MqttClientConnectResultCode.NotAuthorized, null)));
}
