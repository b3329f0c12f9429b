using System.Diagnostics;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The outbox directory's permissions taken away while the service runs, as a user would with <c>chmod 000</c>: the
/// worker runs as nobody (root reads through any permission), and says the directory is unreadable, not removed.
/// </summary>
public sealed class OutboxPermissionsTests
{
    private const int Nobody = 65534;

    [SkippableFact]
    public async Task OutboxDirectoryMadeUnreadable_IsNamedUnreadable_NotRemoved_AndReadingsGoOn_ThenReadableAgain()
    {
        Skip.IfNot(Environment.UserName == "root" && File.Exists("/usr/bin/setpriv"), "needs root and setpriv (util-linux) to run the worker as nobody (CI runs as root)");
        await using var broker = await MosquittoBroker.StartAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        using var scratch = new ScratchDirectory();
        string outbox = Path.Combine(scratch.Path, "outbox");
        Directory.CreateDirectory(outbox);
        File.SetUnixFileMode(scratch.Path, (UnixFileMode)0b111_101_101);
        Chown(outbox);
        string[] program = ForAnyUser(WorkerProcess.DebugBuild(), scratch.Path);

        await using var worker = WorkerProcess.StartProgram(
            ["setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups"],
            program,
            new Dictionary<string, string?>(),
            $"--Mqtt:Host={MosquittoBroker.Host}", $"--Mqtt:Port={broker.Port}", $"--Outbox:Directory={outbox}", "--Sensor:Kind=Simulated",
            "--Telemetry:Interval=00:00:00.100", "--Telemetry:Group=БАГ-18-01", "--Telemetry:Students:0=Иванов И.И", "--Device:Id=b8:27:eb:12:34:56");
        Assert.True(await Eventually.TrueAsync(() => grader.Received.Count >= 3, TimeSpan.FromSeconds(30)), worker.Output);

        File.SetUnixFileMode(outbox, UnixFileMode.None);
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("can no longer be read", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), worker.Output);
        int whileUnreadable = grader.Received.Count;
        Assert.True(await Eventually.TrueAsync(() => grader.Received.Count >= whileUnreadable + 10, TimeSpan.FromSeconds(30)), "readings stopped while the directory was unreadable");

        File.SetUnixFileMode(outbox, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("can be read again", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), worker.Output);
        Assert.DoesNotContain("removed under us", worker.Output, StringComparison.Ordinal);
        Assert.Single(worker.Output.Split('\n'), l => l.Contains("can no longer be read", StringComparison.Ordinal));
    }

    private static void Chown(string path)
    {
        using var chown = Process.Start("chown", [$"{Nobody}:{Nobody}", path])!;
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }

    // A published build lives where CI put it, in a directory only root may enter: nobody gets a copy of its own.
    private static string[] ForAnyUser(string[] program, string scratch)
    {
        if (program[0] == "dotnet")
        {
            return program;
        }

        string copy = Path.Combine(scratch, "build");
        using var cp = Process.Start("cp", ["-a", Path.GetDirectoryName(program[0])!, copy])!;
        cp.WaitForExit();
        Assert.Equal(0, cp.ExitCode);
        File.SetUnixFileMode(copy, (UnixFileMode)0b111_101_101);
        return [Path.Combine(copy, Path.GetFileName(program[0]))];
    }
}
