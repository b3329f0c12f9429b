using System.Net.Sockets;
using System.Text;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>The worker as systemd runs it: it sends WATCHDOG=1 over NOTIFY_SOCKET at half of WATCHDOG_USEC.</summary>
public sealed class SystemdNotifyTests
{
    [Fact]
    public async Task UnderAWatchdog_TheWorkerFeedsItAtHalfTheTimeout()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        using var outbox = new ScratchDirectory();
        string socketPath = Path.Combine(outbox.Path, "notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var environment = new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = socketPath, ["WATCHDOG_USEC"] = "2000000" };

        await using var worker = WorkerProcess.Start(environment, ReliabilityTests.WorkerProcessSettings(broker, Path.Combine(outbox.Path, "outbox")));
        var messages = new List<string>();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (messages.Count(m => m == "WATCHDOG=1") < 3)
        {
            int received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            messages.Add(Encoding.UTF8.GetString(buffer, 0, received));
        }

        Assert.Contains("Feeding the systemd watchdog (timeout 00:00:02)", worker.Output, StringComparison.Ordinal);
    }
}
