using System.Diagnostics;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The service as users run it: the build deploy/publish.sh makes, installed by the real install.sh into a Debian
/// bookworm container booting systemd 252, under the shipped unit with its hardening, reading the real DS18B20
/// driver's fake bus and talking to the container's own Mosquitto. Each test boots a fresh container (half a second;
/// powered off in the background afterwards), so none depends on another's leftovers. Runs as root with
/// <c>LABTELEMETRY_PUBLISHED_BUILD</c> set, as .ci/run does; skipped elsewhere.
/// </summary>
public sealed class SystemdUnitTests(SystemdUnitFixture fixture) : IClassFixture<SystemdUnitFixture>
{
    // The unit's RestartSec=5: a restart comes this long after the death.
    private static readonly TimeSpan RestartSec = TimeSpan.FromSeconds(5);

    [SkippableFact]
    public async Task Start_ReturnsWithin5s_AndUnitIsActive()
    {
        await using var service = await InstallAsync();

        var start = await service.StartAsync(within: TimeSpan.FromSeconds(8));
        var state = await service.StateAsync();

        // Type=notify: systemctl start returns once the worker said READY=1, and only then is the unit active.
        Assert.True(
            start.ExitCode == 0 && start.Elapsed < TimeSpan.FromSeconds(5),
            $"systemctl start: exit {start.ExitCode} after {start.Elapsed.TotalSeconds:0.0} s {start.Output}\n{state}\n{await service.JournalTextAsync()}");
        Assert.True(state.IsActive, $"{state}\n{await service.JournalTextAsync()}");
    }

    [SkippableFact]
    public async Task InstallAgain_WhenConfigured_RestartsTheServiceAndReturnsPromptly()
    {
        await using var service = await InstallAsync();

        // An update on a configured Pi: install.sh restarts the service and must not block until systemd gives up.
        var install = await service.RunAsync("cd /root/labtelemetry && ./install.sh", within: TimeSpan.FromSeconds(12));
        var state = await service.StateAsync();

        Assert.True(
            install.ExitCode == 0 && install.Elapsed < TimeSpan.FromSeconds(10),
            $"install.sh: exit {install.ExitCode} after {install.Elapsed.TotalSeconds:0.0} s {install.Output}\n{state}\n{await service.JournalTextAsync()}");
        Assert.Contains("started; watch it with", install.Output, StringComparison.Ordinal);
        Assert.True(state.IsActive, state.ToString());
    }

    [SkippableFact]
    public async Task Service_PublishesTheLabsPayloadOnDataMac_AndRetainsOnlineOnStatusMac()
    {
        await using var service = await InstallAsync();
        await service.StartNoBlockAsync();

        string? payload = await service.NextMessageAsync(service.DataTopic, TimeSpan.FromSeconds(20));
        string? status = await service.NextMessageAsync(service.StatusTopic, TimeSpan.FromSeconds(5), retainedOnly: true);

        // 23.1: the fake w1_slave's t=23125, read by the real driver; nothing else makes this number.
        Assert.True(payload is not null, $"nothing on {service.DataTopic}\n{await service.JournalTextAsync()}");
        Assert.Equal(InstalledService.ExpectedPayload("23.1"), payload);
        Assert.Equal("online", status);
    }

    [SkippableFact]
    public async Task FirstReading_IsPublishedAtStart_NotAfterAWholeInterval()
    {
        await using var service = await InstallAsync(interval: "00:00:10");
        await using var subscriber = await service.SubscribeAsync(service.DataTopic, TimeSpan.FromSeconds(30));

        var watch = Stopwatch.StartNew();
        await service.StartNoBlockAsync();
        bool published = await Eventually.TrueAsync(
            () => subscriber.Output.Split('\n').Any(line => line.StartsWith(service.DataTopic + " ", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(15));
        var elapsed = watch.Elapsed;

        // A user watching mosquitto_sub after systemctl start sees a reading at once, not after Telemetry:Interval (10 s).
        Assert.True(published && elapsed < TimeSpan.FromSeconds(4), $"first DATA after {elapsed.TotalSeconds:0.0} s (published: {published})\n{await service.JournalTextAsync()}");
    }

    [SkippableFact]
    public async Task Outbox_IsInTheStateDirectory_OwnedByTheDynamicUser()
    {
        await using var service = await InstallAsync();
        await service.StartNoBlockAsync();
        var state = await service.WaitUntilPublishingAsync();

        // Without a broker the readings wait on disk, where they can be looked at.
        await service.RunAsync("systemctl stop mosquitto");
        Assert.True(await WaitForWaitingReadingsAsync(service), $"no reading waits in {InstalledService.StateDirectory}\n{await service.JournalTextAsync()}");
        var look = await service.RunAsync($"""
            readlink /var/lib/labtelemetry
            stat -c '%u %a' /proc/{state.MainPid}
            stat -c '%u %a' {InstalledService.StateDirectory}
            stat -c '%u %a' {InstalledService.StateDirectory}/*.msg | sort -u
            """);
        string[] lines = look.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.True(lines.Length >= 4, look.Output);
        Assert.Equal("private/labtelemetry", lines[0]);
        string uid = lines[1].Split(' ')[0];
        // systemd allocates dynamic users from 61184 to 65519.
        Assert.InRange(int.Parse(uid, System.Globalization.CultureInfo.InvariantCulture), 61184, 65519);
        Assert.Equal($"{uid} 700", lines[2]);
        Assert.All(lines[3..], file => Assert.Equal($"{uid} 600", file));
    }

    [SkippableFact]
    public async Task Ds18b20Driver_ReadsTheBusAsTheDynamicUser_UnderTheSandbox()
    {
        await using var service = await InstallAsync();
        await service.StartNoBlockAsync();
        var state = await service.WaitUntilPublishingAsync();

        // The thermometer warms: the kernel's w1_slave now says 22.5 °C (written aside and renamed, as a whole).
        await service.RunAsync("""
            slave=$(echo /sys/bus/w1/devices/28-*/w1_slave)
            printf '68 01 4b 46 7f ff 08 10 8c : crc=8c YES\n68 01 4b 46 7f ff 08 10 8c t=22500\n' > "$slave.new"
            mv "$slave.new" "$slave"
            """);
        string expected = InstalledService.ExpectedPayload("22.5");
        string? payload = null;
        var watch = Stopwatch.StartNew();
        while (payload != expected && watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            payload = await service.NextMessageAsync(service.DataTopic, TimeSpan.FromSeconds(5));
        }

        var process = await service.RunAsync($"grep -E '^(Uid|NoNewPrivs|CapEff):' /proc/{state.MainPid}/status");

        Assert.Equal(expected, payload);
        Assert.DoesNotContain("Uid:\t0\t", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("NoNewPrivs:\t1", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("CapEff:\t0000000000000000", process.StandardOutput, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task BrokerOutage_IsLoggedAtWarning_AndPublishingResumesAfterIt()
    {
        await using var service = await InstallAsync();
        await service.StartNoBlockAsync();
        await service.WaitUntilPublishingAsync();

        await service.RunAsync("systemctl stop mosquitto");
        var warning = await service.WaitForJournalAsync(e => e.Priority == JournalEntry.Warning && e.Message.Contains("127.0.0.1:1883", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        await service.RunAsync("systemctl start mosquitto");
        string? after = await service.NextMessageAsync(service.DataTopic, TimeSpan.FromSeconds(45));

        var journal = await service.JournalAsync();
        Assert.True(warning is not null, $"no warning naming the broker in the journal:\n{string.Join('\n', journal)}");
        // An outage is the broker's fault and passes by itself: a warning, never an error.
        Assert.DoesNotContain(journal, e => e.Priority <= JournalEntry.Err);
        Assert.Equal(InstalledService.ExpectedPayload("23.1"), after);
    }

    [SkippableFact]
    public async Task ConfigurationError_ReachesTheJournalAtErr()
    {
        await using var service = await InstallAsync(withGroup: false);

        await service.StartAsync(within: TimeSpan.FromSeconds(20));
        var line = await service.WaitForJournalAsync(e => e.Message.Contains("configuration error: Telemetry:Group is empty", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        // journalctl -p err is where a person looks when the service does not start.
        Assert.True(line is not null, await service.JournalTextAsync());
        Assert.Equal(JournalEntry.Err, line.Priority);
    }

    [SkippableFact]
    public async Task ConfigurationError_Exits78_AndIsNotRestarted()
    {
        await using var service = await InstallAsync(withGroup: false);

        var start = await service.StartAsync(within: TimeSpan.FromSeconds(20));
        await Task.Delay(RestartSec + TimeSpan.FromSeconds(2));
        var state = await service.StateAsync();

        Assert.NotEqual(0, start.ExitCode);
        Assert.True(
            state is { ActiveState: "failed", Result: "exit-code", ExecMainStatus: 78, NRestarts: 0 },
            $"{state}\n{await service.JournalTextAsync()}");
    }

    [SkippableFact]
    public async Task Result_IsLoggedAtInfo()
    {
        await using var service = await InstallAsync();
        await service.StartNoBlockAsync();
        await service.WaitUntilPublishingAsync();

        // As the grader answers; sent until it is logged, as the worker subscribes a moment after it connects.
        string verdict = $"{InstalledService.Group}: зачтено {Guid.NewGuid():N}";
        JournalEntry? line = null;
        var watch = Stopwatch.StartNew();
        while (line is null && watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            await service.RunAsync($"mosquitto_pub -h 127.0.0.1 -t RESULT -m '{verdict}'");
            line = await service.WaitForJournalAsync(e => e.Message.Contains(verdict, StringComparison.Ordinal), TimeSpan.FromSeconds(1));
        }

        Assert.True(line is not null, await service.JournalTextAsync());
        Assert.Equal(JournalEntry.Info, line.Priority);
    }

    [SkippableFact]
    public async Task FrozenProcess_IsKilledByTheWatchdog_AndRestarted()
    {
        await using var service = await InstallAsync();
        // A runtime drop-in shortens the shipped 60 s, so the test waits seconds, not minutes.
        var dropIn = await service.RunAsync("""
            set -e
            mkdir -p /run/systemd/system/labtelemetry.service.d
            printf '[Service]\nWatchdogSec=3\n' > /run/systemd/system/labtelemetry.service.d/watchdog.conf
            systemctl daemon-reload
            """);
        Assert.True(dropIn.ExitCode == 0, dropIn.Output);
        var running = await StartAndWaitUntilActiveAsync(service);

        await service.SignalMainProcessAsync("STOP", running.MainPid);
        var (restarted, state) = await service.WaitForStateAsync(
            s => s.NRestarts >= 1 && s.MainPid > 1 && s.MainPid != running.MainPid,
            TimeSpan.FromSeconds(3) + RestartSec + TimeSpan.FromSeconds(10));

        string journal = await service.JournalTextAsync();
        Assert.True(restarted, $"{state}\n{journal}");
        Assert.Contains("Failed with result 'watchdog'", journal, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Stop_ExitsZero_AndPublishesOffline()
    {
        await using var service = await InstallAsync();
        await service.StartNoBlockAsync();
        await service.WaitUntilPublishingAsync();

        var stop = await service.RunAsync("systemctl stop labtelemetry", within: TimeSpan.FromSeconds(40));
        var state = await service.StateAsync();
        string? status = await service.NextMessageAsync(service.StatusTopic, TimeSpan.FromSeconds(5), retainedOnly: true);

        // Well inside TimeoutStopSec=30: a clean stop, not one systemd ends with SIGKILL.
        Assert.True(stop.ExitCode == 0 && stop.Elapsed < TimeSpan.FromSeconds(10), $"systemctl stop: exit {stop.ExitCode} after {stop.Elapsed.TotalSeconds:0.0} s");
        Assert.True(state is { ActiveState: "inactive", Result: "success", ExecMainStatus: 0 }, $"{state}\n{await service.JournalTextAsync()}");
        Assert.Equal("offline", status);
    }

    [SkippableFact]
    public async Task FaultInsideTheService_ExitsNonZero_AndIsRestarted()
    {
        await using var service = await InstallAsync();
        await service.StartNoBlockAsync();
        await service.WaitUntilPublishingAsync();

        // Readings wait for the broker while their directory becomes unreadable (chmod 000, as a careless admin
        // might): when the broker is back, the sender cannot read them and throws. A restart mends it, as systemd
        // applies StateDirectoryMode=0700 again on start. (Deleting the directory is no such fault under systemd:
        // the worker keeps the bind mount of the deleted directory and never faults.)
        await service.RunAsync("systemctl stop mosquitto");
        Assert.True(await WaitForWaitingReadingsAsync(service, count: 3), $"readings do not wait in {InstalledService.StateDirectory}\n{await service.JournalTextAsync()}");
        var running = await service.StateAsync();
        string waiting = (await service.RunAsync($"cd {InstalledService.StateDirectory} && ls *.msg")).StandardOutput.Replace('\n', ' ');
        await service.RunAsync($"chmod 000 {InstalledService.StateDirectory} && systemctl start mosquitto");
        var (died, dead) = await service.WaitForStateAsync(s => s.MainPid != running.MainPid, TimeSpan.FromSeconds(40));
        var (restarted, state) = await service.WaitForStateAsync(s => s.NRestarts >= 1 && s.MainPid > 1, RestartSec + TimeSpan.FromSeconds(10));
        bool delivered = await WaitUntilDeliveredAsync(service, waiting);

        string journal = await service.JournalTextAsync();
        Assert.True(died, $"the worker kept running: {dead}\n{journal}");
        Assert.True(dead.ExecMainStatus != 0, $"it died with exit status 0, which Restart=on-failure takes for a clean stop: {dead}\n{journal}");
        Assert.True(restarted, $"not restarted: {state}\n{journal}");
        Assert.True(delivered, $"the readings that waited ({waiting}) were not delivered after the restart\n{journal}");
    }

    [SkippableFact]
    public async Task Sighup_LeavesTheServiceRunning()
    {
        await using var service = await InstallAsync();
        await service.StartNoBlockAsync();
        var running = await service.WaitUntilPublishingAsync();

        // What a person or a log rotator sends a daemon to reload: it must not be the end of the device.
        await service.SignalMainProcessAsync("HUP", running.MainPid);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var state = await service.StateAsync();
        string? payload = await service.NextMessageAsync(service.DataTopic, TimeSpan.FromSeconds(10));

        Assert.True(state.MainPid == running.MainPid && state.NRestarts == 0, $"{state} (was MainPID={running.MainPid})\n{await service.JournalTextAsync()}");
        Assert.Equal(InstalledService.ExpectedPayload("23.1"), payload);
    }

    [SkippableFact]
    public async Task Check_RunByHandAsRoot_ShowsTheDeployedGroupAndCredentials()
    {
        await using var service = await InstallAsync();

        // As README tells a user on the Pi: no CONFIGURATION_DIRECTORY, no EnvironmentFile, only what is deployed.
        var check = await service.RunAsync("cd /root && /opt/labtelemetry/LabTelemetry.Worker check", within: TimeSpan.FromSeconds(60));

        Assert.Contains($"Telemetry:Group = {InstalledService.Group}", check.Output, StringComparison.Ordinal);
        Assert.Contains("Mqtt:Host = 127.0.0.1", check.Output, StringComparison.Ordinal);
        Assert.Contains($"Mqtt:Username = {InstalledService.Username}", check.Output, StringComparison.Ordinal);
        Assert.Contains("Mqtt:Password = ****", check.Output, StringComparison.Ordinal);
        Assert.Contains($"MQTT connect accepted (MQTT 3.1.1, as {InstalledService.Username})", check.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(InstalledService.Password, check.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task OnceDryRun_RunByHandAsRoot_PrintsThePayloadWithTheDeployedGroup()
    {
        await using var service = await InstallAsync();

        var once = await service.RunAsync("cd /root && /opt/labtelemetry/LabTelemetry.Worker once --dry-run", within: TimeSpan.FromSeconds(60));

        Assert.True(once.ExitCode == 0, $"exit {once.ExitCode}: {once.Output}");
        Assert.Contains(service.DataTopic, once.Output, StringComparison.Ordinal);
        Assert.Contains(InstalledService.ExpectedPayload("23.1"), once.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Uninstall_KeepsTheConfigurationAndTheWaitingReadings()
    {
        await using var service = await InstallAsync();
        await service.StartNoBlockAsync();
        await service.WaitUntilPublishingAsync();
        await service.RunAsync("systemctl stop mosquitto");
        Assert.True(await WaitForWaitingReadingsAsync(service), $"no reading waits in {InstalledService.StateDirectory}\n{await service.JournalTextAsync()}");
        const string Configuration = "sha256sum /etc/labtelemetry/appsettings.json /etc/labtelemetry/env";
        var configured = await service.RunAsync(Configuration);
        // Through the path users know; more readings may join these until the service is stopped.
        var waiting = (await service.RunAsync("ls /var/lib/labtelemetry/")).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var uninstall = await service.RunAsync("cd /root/labtelemetry && ./install.sh --uninstall", within: TimeSpan.FromSeconds(60));
        var kept = await service.RunAsync(Configuration);
        var left = (await service.RunAsync("ls /var/lib/labtelemetry/")).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var gone = await service.RunAsync("ls -d /opt/labtelemetry /etc/systemd/system/labtelemetry.service 2>&1; systemctl show -p LoadState -p ActiveState labtelemetry");

        Assert.True(uninstall.ExitCode == 0, uninstall.Output);
        Assert.Equal(configured.StandardOutput, kept.StandardOutput);
        Assert.NotEmpty(waiting);
        Assert.All(waiting, file => Assert.Contains(file, left));
        Assert.Contains("cannot access '/opt/labtelemetry'", gone.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("cannot access '/etc/systemd/system/labtelemetry.service'", gone.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("LoadState=not-found", gone.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ActiveState=inactive", gone.StandardOutput, StringComparison.Ordinal);
    }

    private static async Task<UnitState> StartAndWaitUntilActiveAsync(InstalledService service)
    {
        await service.StartNoBlockAsync();
        var (active, state) = await service.WaitForStateAsync(s => s.IsActive, TimeSpan.FromSeconds(10));
        Assert.True(active, $"never active (no READY=1): {state}\n{await service.JournalTextAsync()}");
        return state;
    }

    private static async Task<bool> WaitForWaitingReadingsAsync(InstalledService service, int count = 1)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            var list = await service.RunAsync($"ls {InstalledService.StateDirectory}");
            if (list.StandardOutput.Split('\n').Count(name => name.EndsWith(".msg", StringComparison.Ordinal)) >= count)
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }

    // A reading leaves the outbox once the broker has acknowledged it.
    private static async Task<bool> WaitUntilDeliveredAsync(InstalledService service, string files)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            if ((await service.RunAsync($"cd {InstalledService.StateDirectory} && ! ls {files} 2>/dev/null")).ExitCode == 0)
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }

    private async Task<InstalledService> InstallAsync(string interval = "00:00:01", bool withGroup = true)
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Assert.True(fixture.RootProblem is null, fixture.RootProblem);
        return await InstalledService.InstallAsync(fixture.Build, fixture.PowerOffLater, interval, withGroup);
    }
}
