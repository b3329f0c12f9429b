using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration.SystemdUnit;

/// <summary>
/// The Debian package in a fresh container, installed as a user installs it: <c>/etc/labtelemetry</c> written first
/// (the group, the names, the broker on this container's loopback), then <c>apt install ./labtelemetry_*_amd64.deb</c>,
/// whose postinst enables and starts the shipped unit.
/// </summary>
internal sealed class InstalledService : IAsyncDisposable
{
    public const string Unit = "labtelemetry";
    public const string Group = "БАГ-18-01";
    public const string Student = "Иванов И.И";
    public const string Username = "student-7";
    public const string Password = "pa55-never-in-a-log";
    public const string StateDirectory = "/var/lib/private/labtelemetry";
    public const string Program = "/usr/lib/labtelemetry/LabTelemetry.Worker";

    /// <summary>Where <see cref="SystemdUnitFixture"/> puts the package inside: the folder bound at /mnt/build.</summary>
    public const string Packages = "/mnt/build";

    /// <summary>Where the package of the next version waits inside, for an upgrade.</summary>
    public const string NextPackages = "/mnt/build/next";

    /// <summary>Where the published build waits inside, with its install.sh, for a Pi that used it before.</summary>
    public const string PublishedBuild = "/mnt/build/published";

    private readonly Func<SystemdContainer, ValueTask> _retire;

    private InstalledService(SystemdContainer container, string mac, Func<SystemdContainer, ValueTask> retire)
    {
        Container = container;
        Mac = mac;
        _retire = retire;
    }

    public SystemdContainer Container { get; }

    /// <summary>Gets the MAC of the container's wlan0, which names the device.</summary>
    public string Mac { get; }

    public string DataTopic => $"DATA/{Mac}";

    public string StatusTopic => $"STATUS/{Mac}";

    /// <summary>The payload the grader expects, with the temperature as the worker writes it (23.125 °C is "23.1").</summary>
    public static string ExpectedPayload(string temperature) => $"{{\"temperature\": {temperature}, \"students\": [\"{Student}\"], \"group\": \"{Group}\"}}";

    /// <summary>Boots a container, writes a configuration to /etc/labtelemetry and installs the package.</summary>
    /// <param name="packages">The folder <see cref="SystemdUnitFixture"/> staged, bound at /mnt/build.</param>
    /// <param name="retire">What to do with the container when the test is done with it.</param>
    /// <param name="interval">Telemetry:Interval; one second keeps the tests short.</param>
    /// <param name="withGroup">Whether /etc/labtelemetry/env names the group; without it the configuration is wrong.</param>
    /// <param name="mqtt5">Whether the worker talks MQTT 5, which carries each reading's sequence number as a user property.</param>
    public static async Task<InstalledService> InstallAsync(string packages, Func<SystemdContainer, ValueTask> retire, string interval = "00:00:01", bool withGroup = true, bool mqtt5 = false)
    {
        var service = await BootAsync(packages, retire);
        try
        {
            await service.ConfigureAsync(interval, withGroup, mqtt5);
            await service.InstallPackageAsync();
            return service;
        }
        catch
        {
            await service.Container.DisposeAsync();
            throw;
        }
    }

    /// <summary>Boots a container with nothing of ours installed yet.</summary>
    public static async Task<InstalledService> BootAsync(string packages, Func<SystemdContainer, ValueTask> retire)
    {
        var container = await SystemdContainer.BootAsync(packages);
        try
        {
            var mac = await container.RunAsync("cat /sys/class/net/wlan0/address");
            Assert.True(mac.ExitCode == 0, mac.Output);
            return new InstalledService(container, mac.StandardOutput.Trim(), retire);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }

    /// <summary>Writes /etc/labtelemetry as a user would: the settings file, and the secrets readable by root only.</summary>
    public async Task ConfigureAsync(string interval = "00:00:01", bool withGroup = true, bool mqtt5 = false)
    {
        var configure = await RunAsync($$"""
            set -e
            mkdir -p /etc/labtelemetry
            cat > /etc/labtelemetry/appsettings.json <<'JSON'
            {
              "Mqtt": { "Host": "127.0.0.1" },
              "Telemetry": { "Interval": "{{interval}}", "Students": ["{{Student}}"] }
            }
            JSON
            (umask 077; cat > /etc/labtelemetry/env) <<'ENV'
            {{(withGroup ? $"LABTELEMETRY_Telemetry__Group={Group}" : "# no group yet")}}
            LABTELEMETRY_Mqtt__Username={{Username}}
            LABTELEMETRY_Mqtt__Password={{Password}}
            {{(mqtt5 ? "LABTELEMETRY_Mqtt__ProtocolVersion=5" : "# MQTT 3.1.1, the default")}}
            ENV
            """);
        Assert.True(configure.ExitCode == 0, configure.Output);
    }

    /// <summary>
    /// Runs README's <c>apt install ./labtelemetry_*_amd64.deb</c> in <paramref name="folder"/> with stdin closed, so a
    /// question from dpkg (a conffile prompt) fails it instead of waiting; asserts that it succeeded.
    /// </summary>
    public async Task<CommandResult> InstallPackageAsync(string folder = Packages)
    {
        var install = await TryInstallPackageAsync(folder);
        Assert.True(install.ExitCode == 0, $"apt install failed ({install.ExitCode}): {install.Output}\n{await JournalTextAsync()}");
        return install;
    }

    /// <summary>The same as <see cref="InstallPackageAsync"/>, whatever its outcome.</summary>
    public Task<CommandResult> TryInstallPackageAsync(string folder = Packages) =>
        RunAsync($"cd {folder} && apt install -y ./labtelemetry_*_amd64.deb </dev/null", within: TimeSpan.FromSeconds(120));

    public Task<CommandResult> RunAsync(string script, TimeSpan? within = null) => Container.RunAsync(script, within);

    /// <summary>Runs <c>systemctl start</c> and waits for it at most <paramref name="within"/> (killed after that).</summary>
    public Task<CommandResult> StartAsync(TimeSpan within) => RunAsync($"systemctl start {Unit}", within);

    /// <summary>Queues the start and returns at once: for tests about something other than readiness.</summary>
    public async Task StartNoBlockAsync()
    {
        var start = await RunAsync($"systemctl start --no-block {Unit}");
        Assert.True(start.ExitCode == 0, start.Output);
    }

    public async Task<UnitState> StateAsync()
    {
        var show = await RunAsync($"systemctl show -p ActiveState,SubState,Result,ExecMainStatus,NRestarts,MainPID {Unit}");
        Assert.True(show.ExitCode == 0, show.Output);
        return UnitState.Parse(show.StandardOutput);
    }

    /// <summary>Polls the unit until <paramref name="condition"/> holds; returns the last state seen, and whether it held.</summary>
    public async Task<(bool Held, UnitState Last)> WaitForStateAsync(Func<UnitState, bool> condition, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var state = await StateAsync();
            if (condition(state))
            {
                return (true, state);
            }

            if (watch.Elapsed > within)
            {
                return (false, state);
            }

            // Between looks at the unit's state, as the container's systemd moves it.
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the worker runs and its first reading reached the broker.</summary>
    public async Task<UnitState> WaitUntilPublishingAsync()
    {
        string? payload = await NextMessageAsync(DataTopic, TimeSpan.FromSeconds(20));
        Assert.True(payload is not null, $"nothing on {DataTopic} within 20 s\n{await JournalTextAsync()}");
        return await StateAsync();
    }

    /// <summary>The next message on <paramref name="topic"/> (a retained one first), or <see langword="null"/> if none came.</summary>
    public async Task<string?> NextMessageAsync(string topic, TimeSpan within, bool retainedOnly = false)
    {
        int seconds = Math.Max(1, (int)Math.Ceiling(within.TotalSeconds));
        string retained = retainedOnly ? "--retained-only" : string.Empty;
        var sub = await RunAsync($"mosquitto_sub -h 127.0.0.1 -t '{topic}' -C 1 -W {seconds} {retained}", within + TimeSpan.FromSeconds(10));
        return sub.ExitCode == 0 ? sub.StandardOutput.TrimEnd('\n') : null;
    }

    /// <summary>Starts a subscriber inside; its lines arrive as "topic payload" once <c>Subscribed</c> was printed.</summary>
    public async Task<RunningCommand> SubscribeAsync(string topic, TimeSpan within)
    {
        // Line-buffered: to a pipe, mosquitto_sub would hold its lines back.
        var sub = Container.Start($"exec stdbuf -oL mosquitto_sub -h 127.0.0.1 -v -d -t '{topic}' -W {(int)within.TotalSeconds}");
        if (!await Eventually.TrueAsync(() => sub.Output.Contains("Subscribed", StringComparison.Ordinal), TimeSpan.FromSeconds(10)))
        {
            await sub.DisposeAsync();
            Assert.Fail($"mosquitto_sub did not subscribe: {sub.Output}");
        }

        return sub;
    }

    /// <summary>Starts a <see cref="SequenceWitness"/> on the DATA topic; it lasts at most <paramref name="within"/>.</summary>
    public Task<SequenceWitness> StartWitnessAsync(TimeSpan within) => SequenceWitness.StartAsync(Container, DataTopic, within);

    /// <summary>What the outbox holds on disk: its files, and the sequence number of every record in its log.</summary>
    public async Task<OutboxLog> OutboxLogAsync()
    {
        // The record format of OutboxRecord.cs: after a segment's 16-byte header, "LTR2" | body length (u32 BE) | body,
        // which starts with the sequence (i64 BE) | CRC-32; zeros end the log. perl-base is in every Debian root.
        var read = await RunAsync($$"""
            set -e
            cd {{StateDirectory}}
            find . -type f -printf 'file %P\n' | sort
            perl -e '
              for my $file (sort glob "outbox-*.log") {
                open my $in, "<:raw", $file or die "$file: $!\n";
                my $log = do { local $/; <$in> };
                for (my $at = 16; $at + 16 <= length $log;) {
                  my ($magic, $body, $sequence) = unpack "N N q>", substr($log, $at, 16);
                  last if $magic != 0x4C545232;
                  print "reading $sequence\n";
                  $at += 12 + $body;
                }
              }'
            """);
        Assert.True(read.ExitCode == 0, $"cannot read the outbox in {StateDirectory}: {read.Output}");
        var lines = read.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return new OutboxLog(
            [.. lines.Where(line => line.StartsWith("file ", StringComparison.Ordinal)).Select(line => line["file ".Length..])],
            [.. lines.Where(line => line.StartsWith("reading ", StringComparison.Ordinal)).Select(line => long.Parse(line["reading ".Length..], CultureInfo.InvariantCulture))]);
    }

    /// <summary>What the worker's own processes wrote to the journal, with the priority journald recorded.</summary>
    public async Task<IReadOnlyList<JournalEntry>> JournalAsync()
    {
        var journal = await RunAsync($"journalctl _SYSTEMD_UNIT={Unit}.service -o json --no-pager --output-fields=PRIORITY,MESSAGE");
        Assert.True(journal.ExitCode == 0, journal.Output);
        return journal.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JournalEntry.Parse).ToList();
    }

    /// <summary>Polls the journal until an entry matches; returns it, or <see langword="null"/>.</summary>
    public async Task<JournalEntry?> WaitForJournalAsync(Func<JournalEntry, bool> match, TimeSpan within)
    {
        JournalEntry? found = null;
        var watch = Stopwatch.StartNew();
        while (found is null && watch.Elapsed <= within)
        {
            found = (await JournalAsync()).FirstOrDefault(match);
            if (found is null)
            {
                // Between looks at the container's journal, which the worker and systemd write.
                await Task.Delay(200);
            }
        }

        return found;
    }

    /// <summary>The unit's journal as a person reads it, systemd's own lines included: for failure messages.</summary>
    public async Task<string> JournalTextAsync()
    {
        var journal = await RunAsync($"journalctl -u {Unit} --no-pager -o short-monotonic -n 60");
        return "journalctl -u labtelemetry:\n" + journal.Output;
    }

    /// <summary>Sends a signal to the unit's main process, never to a PID of 0 or 1 (which would hit a process group or init).</summary>
    public async Task SignalMainProcessAsync(string signal, int mainPid)
    {
        Assert.True(mainPid > 1, $"no main process to send SIG{signal} to (MainPID={mainPid})");
        var kill = await RunAsync($"""pid={mainPid}; [ "$pid" -gt 1 ] && kill -{signal} "$pid" """);
        Assert.True(kill.ExitCode == 0, kill.Output);
    }

    public ValueTask DisposeAsync() => _retire(Container);
}

/// <summary>The unit's properties the tests look at, from <c>systemctl show</c>.</summary>
internal sealed record UnitState(string ActiveState, string SubState, string Result, int ExecMainStatus, int NRestarts, int MainPid)
{
    public bool IsActive => ActiveState == "active" && SubState == "running";

    public static UnitState Parse(string show)
    {
        var properties = show.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : string.Empty, StringComparer.Ordinal);
        return new UnitState(
            properties["ActiveState"],
            properties["SubState"],
            properties["Result"],
            int.Parse(properties["ExecMainStatus"], CultureInfo.InvariantCulture),
            int.Parse(properties["NRestarts"], CultureInfo.InvariantCulture),
            int.Parse(properties["MainPID"], CultureInfo.InvariantCulture));
    }

    public override string ToString() => $"ActiveState={ActiveState} SubState={SubState} Result={Result} ExecMainStatus={ExecMainStatus} NRestarts={NRestarts} MainPID={MainPid}";
}

/// <summary>The outbox's files (relative to the state directory) and the sequence numbers its log holds, acknowledged or not.</summary>
internal sealed record OutboxLog(IReadOnlyList<string> Files, IReadOnlyList<long> Sequences);

/// <summary>One journal entry: its syslog priority (2 crit, 3 err, 4 warning, 6 info) and its text.</summary>
internal sealed record JournalEntry(int Priority, string Message)
{
    public const int Err = 3;
    public const int Warning = 4;
    public const int Info = 6;

    public static JournalEntry Parse(string json)
    {
        using var entry = JsonDocument.Parse(json);
        var root = entry.RootElement;
        int priority = root.TryGetProperty("PRIORITY", out var p) ? int.Parse(p.GetString()!, CultureInfo.InvariantCulture) : -1;

        // journald stores a message that is not valid UTF-8 text as an array of bytes.
        string message = root.TryGetProperty("MESSAGE", out var m)
            ? m.ValueKind == JsonValueKind.Array ? System.Text.Encoding.UTF8.GetString(m.EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray()) : m.GetString() ?? string.Empty
            : string.Empty;
        return new JournalEntry(priority, message);
    }

    public override string ToString() => $"<{Priority}> {Message}";
}
