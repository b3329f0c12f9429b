using System.Net.Sockets;
using System.Text;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The worker as systemd's notify protocol sees it: READY=1 once started, then WATCHDOG=1 at half of WATCHDOG_USEC.
/// The real unit under a real systemd is in SystemdUnitTests.
/// </summary>
public sealed class SystemdNotifyTests
{
    [Fact]
    public async Task UnderAWatchdog_TheWorkerSaysReady_ThenFeedsItAtHalfTheTimeout()
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

        Assert.Equal("READY=1", messages.FirstOrDefault(m => m.StartsWith("READY", StringComparison.Ordinal)));
        Assert.Contains("Feeding the systemd watchdog (timeout 00:00:02)", worker.Output, StringComparison.Ordinal);
    }
}
