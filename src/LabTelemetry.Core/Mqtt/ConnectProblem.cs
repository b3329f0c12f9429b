using System.Net.Sockets;
using MQTTnet.Adapter;

namespace LabTelemetry.Core.Mqtt;

/// <summary>Says why a connect failed in words a person can act on, instead of MQTTnet's wrapper messages.</summary>
public static class ConnectProblem
{
    public static string Describe(Exception exception) => exception switch
    {
        ConnectRefusedException e => $"{e.Message} (check Mqtt:Username, Mqtt:Password and Mqtt:ClientId)",
        MqttConnectingFailedException e => $"{e.Message} (check Mqtt:Username, Mqtt:Password and Mqtt:ClientId)",
        TimeoutException e => e.Message,
        _ when Innermost<SocketException>(exception) is { } socket => socket.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused: no broker listens there (check Mqtt:Host and Mqtt:Port)",
            SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => "host name not found (check Mqtt:Host and the network)",
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable (is Wi-Fi connected?)",
            _ => socket.Message,
        },
        _ => (exception.InnerException ?? exception).Message,
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
