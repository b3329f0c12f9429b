using System.Globalization;
using System.Text.RegularExpressions;
using LabTelemetry.Tests.Support;
using Xunit.Abstractions;

namespace LabTelemetry.Tests.Integration.VirtualPi;

/// <summary>
/// Real power cuts: qemu killed at random moments while the installed service publishes, so the guest loses its page
/// cache as a Pi loses power; what it said it had made durable is then held against what reaches the host's broker.
/// </summary>
[Collection(VirtualPiSuite.Name)]
[Trait(VirtualPiSuite.Trait, VirtualPiSuite.Name)]
public sealed partial class VirtualPiPowerCutTests(VirtualPiFixture fixture, ITestOutputHelper output)
{
    // Every third cut comes while the broker is away, so that readings wait (and are synced) when the power goes.
    private const int BrokerAwayEvery = 3;

    // Three cuts in CI, the third with the broker away; LABTELEMETRY_VIRTUALPI_LONG=1 runs ten.
    private static readonly int Cuts = VirtualPiSuite.LongVariants ? 10 : 3;

    [SkippableFact]
    public async Task PowerCuts_EveryReadingAcknowledgedOrBelowAWatermarkArrives_NoNumberCarriesTwoReadings_TheServiceBackEachBoot_SimulatedSensor()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Assert.True(fixture.ImageProblem is null, fixture.ImageProblem);
        await using var broker = await MosquittoBroker.StartPersistentAsync();
        await using var witness = await TestSubscriber.ConnectAsync(broker, "DATA/#", persistent: true);
        await using var pi = await VirtualPi.BootAsync(broker.Port, fixture.Build);
        var install = await pi.InstallServiceAsync();
        Assert.True(install.ExitCode == 0, $"install.sh failed ({install.ExitCode}): {install.Output}");
        int startsBefore = pi.ConsoleLines().Count(line => OutboxOpened().IsMatch(line));
        var configure = await pi.RunAsync(Configuration);
        Assert.True(configure.ExitCode == 0, $"{configure.Output}\n{await pi.JournalAsync("labtelemetry")}");

        int seed = Random.Shared.Next();
        var random = new Random(seed);
        output.WriteLine($"{Cuts} cuts, seed {seed}");
        for (int cut = 1; cut <= Cuts; cut++)
        {
            bool brokerAway = cut % BrokerAwayEvery == 0;
            long first = await FirstNumberOfThisBootAsync(pi, startsBefore, cut);
            if (brokerAway)
            {
                // Readings wait: let at least one sync of them be said before the cut.
                string? watermark = await pi.WaitForConsoleLineAsync(line => Watermark().Match(line) is { Success: true } m && long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) >= first, TimeSpan.FromSeconds(90));
                Assert.True(watermark is not null, $"cut {cut}: no 'durable through sequence' of this boot's readings while the broker was away\n{await pi.JournalAsync("labtelemetry")}");
            }
            else
            {
                Assert.True(
                    await Eventually.TrueAsync(() => Delivered(witness).Any(sequence => sequence >= first), TimeSpan.FromMinutes(2)),
                    $"cut {cut}: no reading of this boot (from number {first}) reached the broker\n{await pi.JournalAsync("labtelemetry")}");
            }

            // Real time on purpose: the moment of the cut is what is random, against whatever the guest is doing.
            var lead = TimeSpan.FromMilliseconds(random.Next(300, 4_000));
            await Task.Delay(lead);
            await pi.PowerCutAsync();
            output.WriteLine($"cut {cut}: {(brokerAway ? "broker away, " : string.Empty)}{lead.TotalSeconds:0.0} s after this boot's first {(brokerAway ? "sync" : "delivery")}; this boot began at number {first}");
            if (brokerAway)
            {
                await broker.StartAgainAsync();
                await witness.ReconnectAsync();
            }
            else if ((cut + 1) % BrokerAwayEvery == 0 && cut < Cuts)
            {
                // Stopped with SIGTERM, so that the broker keeps the witness's session for when it is back.
                await broker.StopAsync(graceful: true);
            }

            startsBefore = 0;
            await pi.BootAgainAsync();
            output.WriteLine($"boot {cut + 1}: multi-user.target in {pi.BootTime.TotalSeconds:0.0} s {pi.BootOutput.Trim()}");
        }

        await FirstNumberOfThisBootAsync(pi, startsBefore: 0, Cuts + 1);
        var durable = DurableReadings(File.ReadAllLines(pi.ConsolePath));
        Assert.True(durable.Count > 0, "the console showed no watermark at all: is the outbox's debug line forwarded?");
        bool all = await Eventually.TrueAsync(() => durable.IsSubsetOf(Delivered(witness)), TimeSpan.FromMinutes(2));
        var delivered = Delivered(witness);
        output.WriteLine($"{durable.Count} reading(s) below a watermark, {delivered.Count} distinct delivered, {witness.Deliveries.Count} deliveries in all");
        Assert.True(all, $"below a watermark but never delivered: {string.Join(", ", durable.Except(delivered).Order())}");

        var twoReadings = witness.Deliveries
            .GroupBy(delivery => delivery.Sequence)
            .Where(group => group.Select(delivery => (delivery.Payload, delivery.TakenAt)).Distinct().Count() > 1)
            .Select(group => $"{group.Key}: {string.Join(" | ", group.Select(delivery => $"{delivery.TakenAt} {delivery.Payload}").Distinct())}")
            .ToList();
        Assert.True(twoReadings.Count == 0, $"a number that carried two readings: {string.Join("; ", twoReadings)}");
        await pi.StopAsync();
    }

    // The service as installed, on MQTT 5 (the readings' numbers and times travel as user properties), each sync's
    // watermark at debug level and journald forwarding debug to the console; all synced, as the cuts come next.
    private static string Configuration => $$"""
        set -e
        cat > /etc/NetworkManager/system-connections/{{VirtualPi.Ssid}}.nmconnection <<'KEYFILE'
        [connection]
        id={{VirtualPi.Ssid}}
        type=wifi
        autoconnect=true

        [wifi]
        ssid={{VirtualPi.Ssid}}
        mode=infrastructure

        [wifi-security]
        key-mgmt=wpa-psk
        psk={{VirtualPi.Passphrase}}

        [ipv4]
        method=auto
        KEYFILE
        chmod 600 /etc/NetworkManager/system-connections/{{VirtualPi.Ssid}}.nmconnection
        nmcli connection reload
        cat > /etc/systemd/journald.conf.d/watermark.conf <<'CONF'
        [Journal]
        MaxLevelConsole=debug
        CONF
        cat > /etc/labtelemetry/appsettings.json <<'JSON'
        {
          "Mqtt": { "Host": "{{VirtualPi.BrokerAddress}}", "ProtocolVersion": "5.0" },
          "Sensor": { "Kind": "Simulated" },
          "Telemetry": { "Interval": "00:00:00.5", "Group": "БАГ-18-01", "Students": ["Иванов И.И"] },
          "Serilog": { "MinimumLevel": { "Override": { "LabTelemetry.Core.Outbox.DiskOutbox": "Debug" } } }
        }
        JSON
        sync
        systemctl restart systemd-journald
        systemctl restart labtelemetry
        """;

    private static HashSet<long> Delivered(TestSubscriber witness) =>
        witness.Deliveries.Where(delivery => delivery.Sequence is not null).Select(delivery => long.Parse(delivery.Sequence!, CultureInfo.InvariantCulture)).ToHashSet();

    /// <summary>Every number a watermark covered: from its run's first number (the outbox's opening line) to the watermark.</summary>
    private static HashSet<long> DurableReadings(IEnumerable<string> console)
    {
        var durable = new HashSet<long>();
        long? first = null;
        foreach (string line in console)
        {
            if (OutboxOpened().Match(line) is { Success: true } opened)
            {
                first = long.Parse(opened.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            else if (first is { } from && Watermark().Match(line) is { Success: true } watermark)
            {
                for (long sequence = from; sequence <= long.Parse(watermark.Groups[1].Value, CultureInfo.InvariantCulture); sequence++)
                {
                    durable.Add(sequence);
                }
            }
        }

        return durable;
    }

    /// <summary>Waits for this boot's run of the service to open its outbox; a boot after the first must start it by itself.</summary>
    private async Task<long> FirstNumberOfThisBootAsync(VirtualPi pi, int startsBefore, int boot)
    {
        bool started = await Eventually.TrueAsync(() => pi.ConsoleLines().Count(line => OutboxOpened().IsMatch(line)) > startsBefore, TimeSpan.FromMinutes(2));
        Assert.True(started, $"boot {boot}: the service did not open its outbox by itself\n{await pi.JournalAsync("labtelemetry")}");
        string line = pi.ConsoleLines().Where(line => OutboxOpened().IsMatch(line)).Skip(startsBefore).First();
        output.WriteLine($"boot {boot}: {line}");
        return long.Parse(OutboxOpened().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"reading\(s\) waiting from before; the next is number ([0-9]+)")]
    private static partial Regex OutboxOpened();

    [GeneratedRegex(@"Outbox: durable through sequence ([0-9]+)")]
    private static partial Regex Watermark();
}
