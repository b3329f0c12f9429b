using System.Net.Sockets;
using System.Security.Authentication;
using MQTTnet;

namespace LabTelemetry.Core.Mqtt;

/// <summary>
/// Why a connect failed, said in words a person can act on, blaming only what is known: no TCP, no answer to CONNECT
/// in time, the connection closed before any CONNACK, or a CONNACK that refuses (see <see cref="ConnectAttempt"/>).
/// </summary>
public static class ConnectFailure
{
    /// <summary>One line: what happened, and in parentheses what to check.</summary>
    public static string Describe(Exception exception)
    {
        var (what, fix) = Explain(exception);
        return fix is null ? what : $"{what} ({fix})";
    }

    /// <summary>What happened, and what to check (<see langword="null"/> when nothing better than the message is known).</summary>
    public static (string What, string? Fix) Explain(Exception exception) => exception switch
    {
        ConnectRefusedException e => (e.Message, Hint(e.Code)),
        ConnectClosedException e => (e.Message, "is it an MQTT broker? check Mqtt:Port; a TLS port needs Mqtt:UseTls=true"),
        TimeoutException e => (e.Message, "a stalled broker, a dying link, or not an MQTT port: check Mqtt:Port and Mqtt:UseTls"),
        _ when Innermost<AuthenticationException>(exception) is { } tls => ($"TLS handshake failed: {tls.Message}", "check Mqtt:UseTls, Mqtt:CaFile and the broker's certificate"),
        _ when Innermost<SocketException>(exception) is { } socket => socket.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => ("connection refused: no broker listens there", "check Mqtt:Host and Mqtt:Port"),
            SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => ("host name not found", "check Mqtt:Host and the network"),
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => ("network unreachable", "is Wi-Fi connected?"),
            SocketError.TimedOut => ("no answer to the TCP connect", "check Mqtt:Host, the network, a firewall"),
            _ => (socket.Message, null),
        },
        _ => ((exception.InnerException ?? exception).Message, null),
    };

    private static string Hint(MqttClientConnectResultCode code) => code switch
    {
        MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized => "check Mqtt:Username and Mqtt:Password, in /etc/labtelemetry/env on the Pi",
        MqttClientConnectResultCode.ClientIdentifierNotValid => "check Mqtt:ClientId",
        MqttClientConnectResultCode.UnsupportedProtocolVersion => "set Mqtt:ProtocolVersion to 3.1.1",
        MqttClientConnectResultCode.ServerUnavailable or MqttClientConnectResultCode.ServerBusy or MqttClientConnectResultCode.QuotaExceeded or MqttClientConnectResultCode.ConnectionRateExceeded => "the broker is overloaded; we retry with backoff",
        MqttClientConnectResultCode.Banned => "the broker banned this client; ask its operator",
        MqttClientConnectResultCode.UseAnotherServer or MqttClientConnectResultCode.ServerMoved => "the broker points elsewhere; check Mqtt:Host",
        _ => "the broker's log says more",
    };

    private static T? Innermost<T>(Exception exception)
        where T : Exception
    {
        T? found = null;
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            found = e as T ?? found;
        }

        return found;
    }
}
