using System.Diagnostics;
using System.Text.RegularExpressions;
using LabTelemetry.Tests.Support;
using Xunit.Abstractions;

namespace LabTelemetry.Tests.Integration.VirtualPi;

/// <summary>
/// Joining the lab's Wi-Fi as a student does, on one virtual Pi whose NetworkManager is told to randomise the MAC
/// (scans and connections): a wrong passphrase named by wifi-provision.sh and by <c>check</c>, the right one with the
/// passphrase on no command line, the card's own MAC on the air and in the topic, a DHCP server down for longer than
/// NetworkManager's default retries last, and a clean reboot.
/// </summary>
[Collection(VirtualPiSuite.Name)]
[Trait(VirtualPiSuite.Trait, VirtualPiSuite.Name)]
public sealed partial class VirtualPiWifiTests(VirtualPiFixture fixture, ITestOutputHelper output)
{
    private const string WrongPassphrase = "not-the-lab-passphrase";
    private const string Topic = $"DATA/{VirtualPi.Mac}";
    private const string ClientId = "labtelemetry-020000000000";

    // Randomisation everywhere it can be asked for, and a short DHCP timeout so that a DHCP outage fails attempts quickly.
    private const string Randomising = """
        cat > /etc/NetworkManager/conf.d/90-randomise.conf <<'CONF'
        [device]
        wifi.scan-rand-mac-address=yes

        [connection]
        wifi.cloned-mac-address=random
        ipv4.dhcp-timeout=6
        ipv6.ra-timeout=6
        CONF
        systemctl restart NetworkManager
        """;

    [SkippableFact]
    public async Task Provisioning_WrongThenRightPassphrase_DhcpDownForLong_Reboot_WhileNetworkManagerRandomises_OneTopicOneClientIdAndTheCardsOwnMac()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Assert.True(fixture.ImageProblem is null, fixture.ImageProblem);
        await using var broker = MosquittoBroker.Logging();
        await broker.StartAgainAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        await using var pi = await VirtualPi.BootAsync(broker.Port, fixture.Build, fakeW1: true);
        output.WriteLine($"boot to multi-user.target: {pi.BootTime.TotalSeconds:0.0} s {pi.BootOutput}");

        var randomise = await pi.RunAsync(Randomising);
        Assert.True(randomise.ExitCode == 0, randomise.Output);
        var install = await pi.InstallServiceAsync();
        Assert.True(install.ExitCode == 0, $"install.sh failed ({install.ExitCode}): {install.Output}");
        var configure = await pi.ConfigureServiceAsync();
        Assert.True(configure.ExitCode == 0, $"{configure.Output}\n{await pi.JournalAsync("labtelemetry")}");

        // What the service found at its start was a randomised address: only the permanent one names it right.
        var scanning = await pi.RunAsync("cat /sys/class/net/wlan0/address");
        output.WriteLine($"wlan0's address before the Wi-Fi, NetworkManager scanning: {scanning.StandardOutput.Trim()}");

        // A wrong passphrase: the script says NetworkManager's reason, and check blames the Wi-Fi before the broker.
        var wrong = await pi.ProvisionWifiAsync(WrongPassphrase);
        output.WriteLine($"wifi-provision.sh, wrong passphrase: exit {wrong.ExitCode} after {wrong.Elapsed.TotalSeconds:0.0} s: {wrong.StandardError.Trim()}");
        Assert.True(wrong.ExitCode != 0, $"a wrong passphrase was taken: {wrong.Output}");
        Assert.Contains("NetworkManager says 'no-secrets'", wrong.StandardError, StringComparison.Ordinal);
        var check = await pi.RunAsync(
            $"/opt/labtelemetry/LabTelemetry.Worker check --Mqtt:Host={VirtualPi.BrokerAddress} --Sensor:Kind=Simulated --Telemetry:Group={VirtualPi.Group} '--Telemetry:Students:0={VirtualPi.Student}'",
            TimeSpan.FromSeconds(90));
        output.WriteLine($"check:\n{check.StandardOutput}");
        Assert.Equal(1, check.ExitCode);
        var lines = check.StandardOutput.Split('\n').ToList();
        int wifi = lines.FindIndex(l => l.StartsWith("✗ Wi-Fi wlan0 is not connected: NetworkManager says", StringComparison.Ordinal));
        Assert.True(wifi >= 0, check.StandardOutput);
        Assert.Contains("'no-secrets'", lines[wifi], StringComparison.Ordinal);
        Assert.Contains("WRONG_KEY", lines[wifi], StringComparison.Ordinal);
        int broker1 = lines.FindIndex(l => l.Contains(VirtualPi.BrokerAddress, StringComparison.Ordinal) && !l.StartsWith('·'));
        Assert.True(broker1 < 0 || broker1 > wifi, $"check blamed the broker first:\n{check.StandardOutput}");

        // The right one, while ps is looked at ten times a second for the passphrase in any process's arguments (the
        // look reads it from the file, so that its own command line does not hold it).
        var written = await pi.RunAsync($"umask 077 && printf '%s\\n' '{VirtualPi.Passphrase}' > /root/psk");
        Assert.True(written.ExitCode == 0, written.Output);
        var provision = await pi.RunAsync(
            $$"""
            passphrase=$(cat /root/psk)
            {{VirtualPi.ProvisionScript}} --ssid {{VirtualPi.Ssid}} --psk-file /root/psk --country DE >/root/provision.out 2>&1 &
            script=$!
            samples=0 nmcli=0 seen=0
            while kill -0 $script 2>/dev/null; do
              listing=$(ps -eww -o args=)
              samples=$((samples + 1))
              case "$listing" in *'nmcli connection'*) nmcli=$((nmcli + 1)) ;; esac
              case "$listing" in *"$passphrase"*) seen=$((seen + 1)) ;; esac
              sleep 0.1
            done
            wait $script; status=$?
            cat /root/provision.out
            echo "exit=$status samples=$samples nmcli=$nmcli passphrase=$seen"
            """,
            TimeSpan.FromMinutes(3));
        output.WriteLine($"wifi-provision.sh, right passphrase, --country DE: {provision.Elapsed.TotalSeconds:0.0} s: {provision.StandardOutput.Trim()}");
        var sampled = Sampled().Match(provision.StandardOutput);
        Assert.True(sampled.Success, provision.Output);
        Assert.True(sampled.Groups["exit"].Value == "0", $"{provision.Output}\n{await pi.JournalAsync("NetworkManager")}");
        Assert.True(int.Parse(sampled.Groups["nmcli"].Value) > 0, $"ps never caught the script's nmcli: the look proves nothing ({sampled.Value})");
        Assert.Equal("0", sampled.Groups["seen"].Value);

        // NetworkManager's view, the regulatory domain, and the access point's: the station is the card's own MAC.
        var device = await pi.RunAsync("nmcli -g GENERAL.STATE,GENERAL.CONNECTION device show wlan0; iw reg get | sed -n 2p; ip netns exec ap iw dev wlan1 station dump | sed -n 1p");
        Assert.Equal($"100 (connected)\n{VirtualPi.Ssid}\ncountry DE: DFS-ETSI\nStation {VirtualPi.Mac} (on wlan1)", device.StandardOutput.Trim());
        await DeliveredAsync(grader, pi, 3, "after provisioning");
        Assert.Equal(VirtualPi.ThermometerPayload, grader.Deliveries.First().Payload);

        // The DHCP server down across more failed attempts than NetworkManager's default allows (4, then 5 minutes
        // blocked): the access point restarted so that the station must ask for an address again.
        int failedBefore = DhcpFailures(pi);
        Assert.True((await pi.DhcpAsync(on: false)).ExitCode == 0);
        Assert.True((await pi.AccessPointAsync(on: false)).ExitCode == 0);
        Assert.True((await pi.AccessPointAsync(on: true)).ExitCode == 0);
        int attempts = VirtualPiSuite.LongVariants ? 8 : 5;
        var waiting = Stopwatch.StartNew();
        while (DhcpFailures(pi) - failedBefore < attempts && waiting.Elapsed < TimeSpan.FromMinutes(VirtualPiSuite.LongVariants ? 6 : 4))
        {
            // The console grows by the megabyte: looked at once a second, not at Eventually's pace.
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Assert.True(DhcpFailures(pi) - failedBefore >= attempts, $"{DhcpFailures(pi) - failedBefore} attempts failed for want of DHCP, not {attempts}:\n{await pi.JournalAsync("NetworkManager")}");
        output.WriteLine($"{attempts} attempts failed for want of DHCP in {waiting.Elapsed.TotalSeconds:0} s");
        int readings = grader.Deliveries.Count;
        double lastFailure = LastDhcpFailure(pi);
        Assert.True((await pi.DhcpAsync(on: true)).ExitCode == 0);
        string? activated = await pi.WaitForConsoleLineAsync(
            line => line.Contains("device (wlan0): state change: secondaries -> activated", StringComparison.Ordinal) && VirtualPi.ConsoleSeconds(line) > lastFailure,
            TimeSpan.FromMinutes(2));
        Assert.True(activated is not null, $"NetworkManager did not connect by itself once DHCP was back:\n{await pi.JournalAsync("NetworkManager")}");
        await DeliveredAsync(grader, pi, readings + 3, "after DHCP came back");

        // A clean reboot: back by itself, on the same topic and client id, at most the readings in flight twice.
        await pi.StopAsync();
        readings = grader.Deliveries.Count;
        await pi.BootAgainAsync();
        output.WriteLine($"reboot to multi-user.target: {pi.BootTime.TotalSeconds:0.0} s {pi.BootOutput}");
        await DeliveredAsync(grader, pi, readings + 3, "after the reboot");
        var air = await pi.RunAsync("cat /sys/class/net/wlan0/address; ip netns exec ap iw dev wlan1 station dump | sed -n 1p");
        Assert.Equal($"{VirtualPi.Mac}\nStation {VirtualPi.Mac} (on wlan1)", air.StandardOutput.Trim());

        var sequences = grader.Deliveries.Select(d => long.Parse(d.Sequence!)).ToList();
        int twice = sequences.Count - sequences.Distinct().Count();
        output.WriteLine($"{sequences.Count} readings, {twice} delivered twice, sequences {sequences[0]}..{sequences[^1]}");
        Assert.InRange(twice, 0, 16);
        Assert.Equal([Topic], grader.Deliveries.Select(d => d.Topic).Distinct());
        Assert.All(grader.Deliveries, d => Assert.Equal(VirtualPi.ThermometerPayload, d.Payload));
        var clientIds = broker.LogLines().Select(l => ClientIdInLog().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Where(id => id.StartsWith("labtelemetry-", StringComparison.Ordinal) && !id.EndsWith("-check", StringComparison.Ordinal)).ToList();
        Assert.Equal([ClientId], clientIds);
    }

    private static IEnumerable<string> DhcpFailureLines(VirtualPi pi) =>
        pi.ConsoleLines().Where(line => line.Contains("device (wlan0): state change:", StringComparison.Ordinal) && line.Contains("-> failed (reason 'ip-config-unavailable'", StringComparison.Ordinal));

    private static int DhcpFailures(VirtualPi pi) => DhcpFailureLines(pi).Count();

    private static double LastDhcpFailure(VirtualPi pi) => DhcpFailureLines(pi).Select(VirtualPi.ConsoleSeconds).LastOrDefault() ?? 0;

    private async Task DeliveredAsync(TestSubscriber grader, VirtualPi pi, int count, string when)
    {
        Assert.True(
            await Eventually.TrueAsync(() => grader.Deliveries.Count >= count, TimeSpan.FromSeconds(90)),
            $"{grader.Deliveries.Count} readings at the broker {when}, not {count}\n{await pi.JournalAsync("labtelemetry")}");
        output.WriteLine($"{grader.Deliveries.Count} readings at the broker {when}");
    }

    [GeneratedRegex(@"exit=(?<exit>\d+) samples=(?<samples>\d+) nmcli=(?<nmcli>\d+) passphrase=(?<seen>\d+)")]
    private static partial Regex Sampled();

    [GeneratedRegex(@"New client connected from \S+ as (\S+)")]
    private static partial Regex ClientIdInLog();
}
