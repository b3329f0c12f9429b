using System.Net.Sockets;
using LabTelemetry.Core.Mqtt;
using MQTTnet.Exceptions;

namespace LabTelemetry.Tests.Core.Mqtt;

public class ConnectFailureTests
{
    private static MqttCommunicationException Wrapped(SocketError error) =>
        new("Error while connecting host 'Unspecified/127.0.0.1:1'.", new SocketException((int)error));

    [Fact]
    public void Describe_ConnectionRefused_PointsAtHostAndPort() =>
        Assert.Equal("connection refused: no broker listens there (check Mqtt:Host and Mqtt:Port)", ConnectFailure.Describe(Wrapped(SocketError.ConnectionRefused)));

    [Fact]
    public void Describe_UnknownHost_PointsAtTheHostName() =>
        Assert.StartsWith("host name not found", ConnectFailure.Describe(Wrapped(SocketError.HostNotFound)), StringComparison.Ordinal);

    [Fact]
    public void Describe_NoRoute_PointsAtTheNetwork() =>
        Assert.Contains("Wi-Fi", ConnectFailure.Describe(Wrapped(SocketError.NetworkUnreachable)), StringComparison.Ordinal);

    [Fact]
    public void Describe_Timeout_DoesNotBlameTheCredentials()
    {
        string line = ConnectFailure.Describe(new TimeoutException("127.0.0.1:1883 accepted the TCP connection but sent no CONNACK within 10 s (Mqtt:OperationTimeout)"));

        Assert.StartsWith("127.0.0.1:1883 accepted the TCP connection but sent no CONNACK within 10 s", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_ClosedBeforeConnack_AsksWhetherItIsABroker_NotForCredentials()
    {
        string line = ConnectFailure.Describe(new ConnectClosedException("127.0.0.1:1883", new MqttCommunicationException("Connection closed.")));

        Assert.Equal("127.0.0.1:1883 closed the connection without answering the MQTT CONNECT (is it an MQTT broker? check Mqtt:Port; a TLS port needs Mqtt:UseTls=true)", line);
    }

    [Fact]
    public void Describe_NotAuthorized_SaysTheCodeAndPointsAtTheCredentials() =>
        Assert.Equal(
            "the broker refused the connection: NotAuthorized (check Mqtt:Username and Mqtt:Password, in /etc/labtelemetry/env on the Pi)",
            ConnectFailure.Describe(new ConnectRefusedException(MQTTnet.MqttClientConnectResultCode.NotAuthorized, null)));

    [Fact]
    public void Describe_ClientIdRefused_PointsAtTheClientId_NotThePassword() =>
        Assert.Equal(
            "the broker refused the connection: ClientIdentifierNotValid (check Mqtt:ClientId)",
            ConnectFailure.Describe(new ConnectRefusedException(MQTTnet.MqttClientConnectResultCode.ClientIdentifierNotValid, null)));
}
