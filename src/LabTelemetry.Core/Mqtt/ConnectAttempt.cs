using System.Net.Sockets;
using System.Security.Authentication;
using LabTelemetry.Core.Resilience;
using MQTTnet;
using MQTTnet.Exceptions;

namespace LabTelemetry.Core.Mqtt;

/// <summary>One CONNECT and its CONNACK, under a deadline, failing with an exception that says which of the ways it failed.</summary>
public static class ConnectAttempt
{
    /// <summary>
    /// Sends CONNECT and waits for the CONNACK at most <paramref name="timeout"/>. MQTTnet reports a CONNECT that
    /// timed out and one the server closed alike ("Connection closed"), so the deadline tells which it was.
    /// </summary>
    /// <exception cref="TimeoutException">The server took the TCP connection but sent no CONNACK in time.</exception>
    /// <exception cref="ConnectClosedException">The server closed the connection before any CONNACK.</exception>
    /// <exception cref="ConnectRefusedException">The CONNACK refuses.</exception>
    public static async Task<ConnectAnswer> RunAsync(IBrokerClient client, MqttClientOptions options, string broker, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var deadline = new Deadline(timeout, timeProvider, cancellationToken);
        ConnectAnswer answer;
        try
        {
            answer = await client.ConnectAsync(options, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // Given up by the caller (stopping, or the link came back): not a failure of the broker's.
            throw new OperationCanceledException(ex.Message, ex, cancellationToken);
        }
        catch (Exception ex) when (deadline.Expired)
        {
            throw new TimeoutException($"{broker} accepted the TCP connection but sent no CONNACK within {timeout.TotalSeconds:0.##} s (Mqtt:OperationTimeout)", ex);
        }
        catch (MqttCommunicationException ex) when (ex.InnerException is not (SocketException or AuthenticationException) && ex is not MqttCommunicationTimedOutException)
        {
            throw new ConnectClosedException(broker, ex);
        }

        return answer.Code == MqttClientConnectResultCode.Success ? answer : throw new ConnectRefusedException(answer.Code, answer.ReasonString);
    }
}
