using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The worker as systemd's notify protocol sees it: READY=1 once started, then WATCHDOG=1 again and again. The exact
/// pace (half of WATCHDOG_USEC) is checked on fake time in WatchdogFeederTests; real time here can only say "not faster".
/// The real unit under a real systemd is in SystemdUnitTests.
/// </summary>
public sealed class SystemdNotifyTests
{
    private const int Feeds = 5;

    [Fact]
    public async Task UnderAWatchdog_TheWorkerSaysReady_ThenFeedsIt_NoFasterThanHalfTheTimeout()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        using var outbox = new ScratchDirectory();
        string socketPath = Path.Combine(outbox.Path, "notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var environment = new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = socketPath, ["WATCHDOG_USEC"] = "2000000" };

        // Started before the worker, so every feed it sends comes after this clock's zero.
        var clock = Stopwatch.StartNew();
        await using var worker = WorkerProcess.Start(environment, ReliabilityTests.WorkerProcessSettings(broker, Path.Combine(outbox.Path, "outbox")));
        var messages = new List<string>();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (messages.Count(m => m == "WATCHDOG=1") < Feeds)
        {
            int received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            messages.Add(Encoding.UTF8.GetString(buffer, 0, received));
        }

        Assert.Equal("READY=1", messages.FirstOrDefault(m => m.StartsWith("READY", StringComparison.Ordinal)));

        // A loaded machine delays feeds and their reception, never hastens them: at 1 s apart, the fifth comes 4 s after
        // the first at the earliest. (An upper bound would only measure the machine.)
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(Feeds - 1), $"{Feeds} feeds within {clock.Elapsed.TotalSeconds:0.00} s of start");
        Assert.Contains("Feeding the systemd watchdog (timeout 00:00:02)", worker.Output, StringComparison.Ordinal);
    }
}
