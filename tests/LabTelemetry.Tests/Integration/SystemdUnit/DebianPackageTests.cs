using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration.SystemdUnit;

/// <summary>
/// The Debian package's life on a fresh bookworm booting systemd, through apt as README tells a user: installed on a
/// device configured first and on one that is not, upgraded, removed, purged, and taking over from install.sh. Every
/// apt runs with stdin closed: a question from dpkg would fail it rather than wait.
/// </summary>
[Collection(SystemdContainers.Name)]
public sealed class DebianPackageTests(SystemdUnitFixture fixture)
{
    private const string Configuration = "sha256sum /etc/labtelemetry/appsettings.json /etc/labtelemetry/env; stat -c '%a %U:%G %n' /etc/labtelemetry/env";

    // Every path of ours, wherever it is: what purge must leave as it found it. (The root is merged-/usr, as
    // bookworm's: /lib/systemd/system is /usr/lib/systemd/system.)
    private const string Ours = """find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /mnt \) -prune -o -ipath '*labtelemetry*' -print | sort""";

    [SkippableFact]
    public async Task Install_OnAConfiguredDevice_EnablesAndStartsTheUnit_KeepsTheSettings_AndTheProgramSaysThePackagesVersion()
    {
        await using var service = await BootAsync();
        await service.ConfigureAsync();
        var configured = await service.RunAsync(Configuration);

        var install = await service.InstallPackageAsync();
        var enabled = await service.RunAsync($"systemctl is-enabled {InstalledService.Unit}");
        var state = await service.StateAsync();
        string? payload = await service.NextMessageAsync(service.DataTopic, TimeSpan.FromSeconds(20));
        var kept = await service.RunAsync(Configuration);
        var files = await service.RunAsync("ls -A /etc/labtelemetry");
        var versions = await service.RunAsync($"dpkg-query -W -f='${{Version}}\\n' labtelemetry; {InstalledService.Program} --version");

        string version = RepositoryRoot.Version();
        Assert.Equal("enabled\n", enabled.StandardOutput);
        Assert.True(state.IsActive, $"{state}\n{install.Output}\n{await service.JournalTextAsync()}");
        Assert.Equal(InstalledService.ExpectedPayload("23.1"), payload);
        // The settings written before installing are the user's: kept byte for byte, nothing set aside left over.
        Assert.Contains("kept your /etc/labtelemetry/appsettings.json", install.Output, StringComparison.Ordinal);
        Assert.Equal(configured.StandardOutput, kept.StandardOutput);
        Assert.Equal("appsettings.json\nenv\n", files.StandardOutput);
        Assert.Equal($"{version}\nLabTelemetry {version}\n", versions.StandardOutput);
    }

    [SkippableFact]
    public async Task Install_Unconfigured_Succeeds_SaysWhatToEdit_LeavesTheBootConfigToTheUser_AndRunsOnceEdited()
    {
        await using var service = await BootAsync();
        // Not a user's step: the only broker a test may reach is the container's own, never the course's default.
        var prepare = await service.RunAsync("""
            set -e
            mkdir -p /etc/systemd/system/labtelemetry.service.d /boot/firmware
            printf '[Service]\nEnvironment=LABTELEMETRY_Mqtt__Host=127.0.0.1\n' > /etc/systemd/system/labtelemetry.service.d/broker.conf
            printf '[all]\narm_64bit=1\n' > /boot/firmware/config.txt
            """);
        Assert.True(prepare.ExitCode == 0, prepare.Output);

        var install = await service.InstallPackageAsync();
        var (failed, waiting) = await service.WaitForStateAsync(s => s.ActiveState == "failed", TimeSpan.FromSeconds(10));
        var files = await service.RunAsync("stat -c '%a %U:%G' /etc/labtelemetry/env; cat /boot/firmware/config.txt");
        // README's step 3: the group and names into the conffile, then a restart.
        var edit = await service.RunAsync($$"""
            set -e
            sed -i -e 's/"Group": ""/"Group": "{{InstalledService.Group}}"/' -e 's/"Students": \[\]/"Students": ["{{InstalledService.Student}}"]/' /etc/labtelemetry/appsettings.json
            systemctl restart {{InstalledService.Unit}}
            """, within: TimeSpan.FromSeconds(40));
        var state = await service.StateAsync();
        string? payload = await service.NextMessageAsync(service.DataTopic, TimeSpan.FromSeconds(20));
        var check = await service.RunAsync($"{InstalledService.Program} check --Mqtt:Host=127.0.0.1", within: TimeSpan.FromSeconds(60));

        Assert.Contains("set your group and names in /etc/labtelemetry/appsettings.json", install.Output, StringComparison.Ordinal);
        Assert.Contains("add 'dtoverlay=w1-gpio' to /boot/firmware/config.txt", install.Output, StringComparison.Ordinal);
        Assert.True(failed && waiting is { Result: "exit-code", ExecMainStatus: 78, NRestarts: 0 }, $"{waiting}\n{await service.JournalTextAsync()}");
        Assert.Equal("600 root:root\n[all]\narm_64bit=1\n", files.StandardOutput);
        Assert.True(edit.ExitCode == 0 && state.IsActive, $"{edit.Output}\n{state}\n{await service.JournalTextAsync()}");
        Assert.Equal(InstalledService.ExpectedPayload("23.1"), payload);
        Assert.Contains("✗ no dtoverlay=w1-gpio in /boot/firmware/config.txt — add the line dtoverlay=w1-gpio to it", check.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// dpkg's case proven: a conffile the user changed, which the package did not change between the two versions,
    /// is kept as it is, without a question (dpkg asks only when both changed; stdin is closed, so a question fails).
    /// </summary>
    [SkippableFact]
    public async Task Upgrade_KeepsTheEditedConffileWithoutAsking_RestartsIntoTheNewVersion_AndDeliversTheWaitingReadings()
    {
        await using var service = await BootAsync();
        await service.ConfigureAsync(mqtt5: true);
        await using var witness = await service.StartWitnessAsync(TimeSpan.FromSeconds(150));
        await service.InstallPackageAsync();
        var running = await service.StateAsync();
        Assert.True(await Eventually.TrueAsync(() => witness.Sequences.Count > 0, TimeSpan.FromSeconds(20)), $"the witness saw no reading\n{await service.JournalTextAsync()}");
        // dpkg's checksum of its conffile, the one on disk, and that of the file in each package.
        var sums = await service.RunAsync($$"""
            set -e
            dpkg-query -W -f='${Conffiles}\n' labtelemetry | awk '$1 == "/etc/labtelemetry/appsettings.json" { print $2 }'
            md5sum < /etc/labtelemetry/appsettings.json | cut -d' ' -f1
            for deb in {{InstalledService.Packages}}/labtelemetry_*_amd64.deb {{InstalledService.NextPackages}}/labtelemetry_*_amd64.deb; do
              dpkg-deb --fsys-tarfile "$deb" | tar -xO ./etc/labtelemetry/appsettings.json | md5sum | cut -d' ' -f1
            done
            """);
        string[] md5 = sums.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(md5.Length == 4, sums.Output);
        Assert.True(md5[0] == md5[2] && md5[2] == md5[3], $"the packages' conffiles differ, which is the case this test does not prove: {sums.Output}");
        Assert.True(md5[1] != md5[0], $"dpkg does not see the configuration as the user's edit: {sums.Output}");

        await service.RunAsync("systemctl stop mosquitto");
        var waiting = await SystemdUnitTests.WaitForWaitingReadingsAsync(service, witness, count: 3);
        Assert.True(waiting.Count >= 3, $"readings do not wait in the outbox (waiting: {string.Join(' ', waiting)})\n{await service.JournalTextAsync()}");
        var configured = await service.RunAsync(Configuration);
        var upgrade = await service.InstallPackageAsync(InstalledService.NextPackages);
        var upgraded = await service.StateAsync();
        var kept = await service.RunAsync(Configuration);
        var files = await service.RunAsync("ls -A /etc/labtelemetry");
        var versions = await service.RunAsync($"dpkg-query -W -f='${{Version}}\\n' labtelemetry; {InstalledService.Program} --version");
        await service.RunAsync("systemctl start mosquitto");
        bool delivered = await Eventually.TrueAsync(
            () => witness.Sequences is var seen && seen.IsSupersetOf(waiting) && seen.Max() > waiting.Max,
            TimeSpan.FromSeconds(45));

        string text = await service.JournalTextAsync();
        Assert.Contains($"Unpacking labtelemetry ({fixture.NextVersion}) over ({fixture.Version})", upgrade.Output, StringComparison.Ordinal);
        Assert.Equal(configured.StandardOutput, kept.StandardOutput);
        Assert.Equal("appsettings.json\nenv\n", files.StandardOutput);
        Assert.Equal($"{fixture.NextVersion}\nLabTelemetry {fixture.NextVersion}\n", versions.StandardOutput);
        Assert.True(upgraded.IsActive && upgraded.MainPid != running.MainPid, $"not restarted: {upgraded} (was MainPID={running.MainPid})\n{text}");
        Assert.True(delivered, $"waited: {string.Join(' ', waiting)}; delivered: {string.Join(' ', witness.Sequences.Order())}\n{text}");
        Assert.All(witness.Readings, reading => Assert.True(reading.Value.Count == 1, $"sequence {reading.Key} named readings taken at {string.Join(", ", reading.Value)}"));
    }

    [SkippableFact]
    public async Task Remove_StopsTheService_KeepsTheConfigurationAndTheWaitingReadings_WhichAReinstallationDelivers()
    {
        await using var service = await BootAsync();
        await service.ConfigureAsync(mqtt5: true);
        await using var witness = await service.StartWitnessAsync(TimeSpan.FromSeconds(150));
        await service.InstallPackageAsync();
        Assert.True(await Eventually.TrueAsync(() => witness.Sequences.Count > 0, TimeSpan.FromSeconds(20)), $"the witness saw no reading\n{await service.JournalTextAsync()}");
        await service.RunAsync("systemctl stop mosquitto");
        var waiting = await SystemdUnitTests.WaitForWaitingReadingsAsync(service, witness, count: 2);
        Assert.True(waiting.Count >= 2, $"readings do not wait in the outbox (waiting: {string.Join(' ', waiting)})\n{await service.JournalTextAsync()}");
        var configured = await service.RunAsync(Configuration);
        // More readings may join these until the service is stopped, but into the same segment.
        var before = await service.OutboxLogAsync();

        var remove = await service.RunAsync("apt remove -y labtelemetry </dev/null", within: TimeSpan.FromSeconds(120));
        var kept = await service.RunAsync(Configuration);
        var after = await service.OutboxLogAsync();
        var gone = await service.RunAsync($"ls -d /usr/lib/labtelemetry /lib/systemd/system/labtelemetry.service 2>&1; dpkg-query -W -f='${{db:Status-Abbrev}}\\n' labtelemetry; systemctl show -p ActiveState {InstalledService.Unit}");
        await service.InstallPackageAsync();
        await service.RunAsync("systemctl start mosquitto");
        bool delivered = await Eventually.TrueAsync(() => witness.Sequences.IsSupersetOf(waiting), TimeSpan.FromSeconds(45));

        Assert.True(remove.ExitCode == 0, remove.Output);
        Assert.Equal(configured.StandardOutput, kept.StandardOutput);
        Assert.Equal(before.Files, after.Files);
        Assert.Subset(after.Sequences.ToHashSet(), waiting);
        Assert.Contains("cannot access '/usr/lib/labtelemetry'", gone.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("cannot access '/lib/systemd/system/labtelemetry.service'", gone.StandardOutput, StringComparison.Ordinal);
        // rc: removed, its configuration files still there.
        Assert.Contains("\nrc \n", gone.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ActiveState=inactive", gone.StandardOutput, StringComparison.Ordinal);
        Assert.True(delivered, $"waited: {string.Join(' ', waiting)}; delivered: {string.Join(' ', witness.Sequences.Order())}\n{await service.JournalTextAsync()}");
    }

    [SkippableFact]
    public async Task Purge_LeavesNothingOfOurs()
    {
        await using var service = await BootAsync();
        var before = await service.RunAsync(Ours);
        await service.ConfigureAsync();
        await service.InstallPackageAsync();
        await service.WaitUntilPublishingAsync();
        var installed = await service.RunAsync(Ours);

        var purge = await service.RunAsync("apt purge -y labtelemetry </dev/null", within: TimeSpan.FromSeconds(120));
        var after = await service.RunAsync(Ours);
        var record = await service.RunAsync($"dpkg-query -W labtelemetry 2>&1; systemctl show -p LoadState {InstalledService.Unit}");

        Assert.True(purge.ExitCode == 0, purge.Output);
        // What the search finds while installed, so that its silence afterwards means something.
        Assert.Subset(
            installed.StandardOutput.Split('\n').ToHashSet(),
            new HashSet<string>
            {
                "/etc/labtelemetry", "/etc/labtelemetry/env", "/var/lib/private/labtelemetry", "/var/lib/labtelemetry",
                "/usr/lib/labtelemetry/LabTelemetry.Worker", "/usr/lib/systemd/system/labtelemetry.service",
                "/etc/systemd/system/multi-user.target.wants/labtelemetry.service",
            });
        Assert.Equal(before.StandardOutput, after.StandardOutput);
        Assert.Contains("no packages found matching labtelemetry", record.Output, StringComparison.Ordinal);
        Assert.Contains("LoadState=not-found", record.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Install_OnAPiThatUsedInstallSh_TakesOverItsUnitAndProgram_KeepsItsConfiguration_AndDeliversItsWaitingReadings()
    {
        await using var service = await BootAsync();
        // As README told users before the package: the folder copied over, its install.sh run, then /etc edited.
        var script = await service.RunAsync($"cp -a {InstalledService.PublishedBuild} /root/labtelemetry && cd /root/labtelemetry && ./install.sh", within: TimeSpan.FromSeconds(60));
        Assert.True(script.ExitCode == 0, script.Output);
        await service.ConfigureAsync(mqtt5: true);
        await using var witness = await service.StartWitnessAsync(TimeSpan.FromSeconds(150));
        var old = await SystemdUnitTests.StartAndWaitUntilActiveAsync(service);
        Assert.True(await Eventually.TrueAsync(() => witness.Sequences.Count > 0, TimeSpan.FromSeconds(20)), $"the witness saw no reading\n{await service.JournalTextAsync()}");
        await service.RunAsync("systemctl stop mosquitto");
        var waiting = await SystemdUnitTests.WaitForWaitingReadingsAsync(service, witness, count: 2);
        Assert.True(waiting.Count >= 2, $"readings do not wait in the outbox (waiting: {string.Join(' ', waiting)})\n{await service.JournalTextAsync()}");
        var configured = await service.RunAsync(Configuration);

        var install = await service.InstallPackageAsync();
        var state = await service.StateAsync();
        var unit = await service.RunAsync($"systemctl show -p FragmentPath -p ExecStart {InstalledService.Unit}; systemctl is-enabled {InstalledService.Unit}; ls -d /opt/labtelemetry /etc/systemd/system/labtelemetry.service 2>&1");
        var kept = await service.RunAsync(Configuration);
        await service.RunAsync("systemctl start mosquitto");
        bool delivered = await Eventually.TrueAsync(() => witness.Sequences.IsSupersetOf(waiting), TimeSpan.FromSeconds(45));

        string text = await service.JournalTextAsync();
        Assert.Contains("took over from install.sh", install.Output, StringComparison.Ordinal);
        Assert.Contains("FragmentPath=/lib/systemd/system/labtelemetry.service\n", unit.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"path={InstalledService.Program} ;", unit.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\nenabled\n", unit.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("cannot access '/opt/labtelemetry'", unit.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("cannot access '/etc/systemd/system/labtelemetry.service'", unit.StandardOutput, StringComparison.Ordinal);
        Assert.True(state.IsActive && state.MainPid != old.MainPid, $"{state} (install.sh's was MainPID={old.MainPid})\n{text}");
        Assert.Equal(configured.StandardOutput, kept.StandardOutput);
        Assert.True(delivered, $"waited: {string.Join(' ', waiting)}; delivered: {string.Join(' ', witness.Sequences.Order())}\n{text}");
    }

    private async Task<InstalledService> BootAsync()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Assert.True(fixture.RootProblem is null, fixture.RootProblem);
        return await InstalledService.BootAsync(fixture.Packages, fixture.PowerOffLater);
    }
}
