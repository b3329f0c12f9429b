using System.Net;
using System.Net.Sockets;
using LabTelemetry.Core.Mqtt;
using MQTTnet;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// What answers on the broker's port, told apart through the real MQTTnet client: a server that accepts TCP and
/// stays silent, one that closes at once, one that speaks HTTP. None of them is a wrong password.
/// </summary>
public sealed class ConnectBlameTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private static async Task<Exception> ConnectToAsync(Func<Socket, Task> serve)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await serve(socket);
        });
        using var client = new MqttNetBrokerClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("blame-test").Build();

        var ex = await Record.ExceptionAsync(() => ConnectAttempt.RunAsync(client, options, $"127.0.0.1:{port}", Timeout, TimeProvider.System, CancellationToken.None));
        await server.WaitAsync(TimeSpan.FromSeconds(30));
        return Assert.IsAssignableFrom<Exception>(ex);
    }

    private static async Task ReadConnectAsync(Socket socket)
    {
        var buffer = new byte[256];
        await socket.ReceiveAsync(buffer);
    }

    [Fact]
    public async Task SilentServer_IsATimeout_ThatNamesTheMissingConnack()
    {
        var ex = await ConnectToAsync(async socket =>
        {
            await ReadConnectAsync(socket);

            // A silent server holds the connection past the real MQTTnet client's timeout, which runs on the real clock.
            await Task.Delay(Timeout * 3);
        });

        Assert.IsType<TimeoutException>(ex);
        Assert.Contains("sent no CONNACK within 1 s", ConnectFailure.Describe(ex), StringComparison.Ordinal);
        Assert.DoesNotContain("Password", ConnectFailure.Describe(ex), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerThatClosesWithoutConnack_IsNamedSo()
    {
        var ex = await ConnectToAsync(async socket =>
        {
            await ReadConnectAsync(socket);
            socket.Close();
        });

        Assert.IsType<ConnectClosedException>(ex);
        Assert.Contains("closed the connection without answering the MQTT CONNECT (is it an MQTT broker?", ConnectFailure.Describe(ex), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpServer_IsNotBlamedOnTheCredentials()
    {
        var ex = await ConnectToAsync(async socket =>
        {
            await ReadConnectAsync(socket);
            await socket.SendAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
            socket.Close();
        });

        Assert.True(ex is ConnectClosedException or TimeoutException, ex.ToString());
        Assert.Contains("MQTT", ConnectFailure.Describe(ex), StringComparison.Ordinal);
        Assert.DoesNotContain("Password", ConnectFailure.Describe(ex), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MosquittoWithAPasswordFile_RefusesAnonymous_AndOnlyThatIsBlamedOnTheCredentials()
    {
        await using var broker = await MosquittoBroker.StartWithLoginAsync("student", "secret");
        using var client = new MqttNetBrokerClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer(MosquittoBroker.Host, broker.Port).WithClientId("blame-test").Build();

        var ex = await Record.ExceptionAsync(() => ConnectAttempt.RunAsync(client, options, "broker", TimeSpan.FromSeconds(10), TimeProvider.System, CancellationToken.None));

        var refused = Assert.IsType<ConnectRefusedException>(ex);
        Assert.Contains("check Mqtt:Username and Mqtt:Password", ConnectFailure.Describe(refused), StringComparison.Ordinal);
    }
}
