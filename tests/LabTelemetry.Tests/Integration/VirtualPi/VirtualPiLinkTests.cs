using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LabTelemetry.Tests.Support;
using Xunit.Abstractions;

namespace LabTelemetry.Tests.Integration.VirtualPi;

/// <summary>
/// The Wi-Fi lost and regained under the installed service, on one virtual Pi whose connection is the shipped keyfile:
/// a boot with the access point off, then outages during publishing, one of them coming back with another address.
/// Each time the link's return brings the connect attempt forward of the backoff's, and every reading made meanwhile
/// follows the first, in order.
/// </summary>
[Collection(VirtualPiSuite.Name)]
[Trait(VirtualPiSuite.Trait, VirtualPiSuite.Name)]
public sealed partial class VirtualPiLinkTests(VirtualPiFixture fixture, ITestOutputHelper output)
{
    // Loose: the guest runs under emulation on a shared 2-core machine.
    private static readonly TimeSpan ActivatedToDelivery = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public async Task BootWithTheAccessPointDown_ThenOutagesDuringPublishing_TheLinksReturnConnectsAtOnce_AndEveryWaitingReadingFollowsInOrder()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Assert.True(fixture.ImageProblem is null, fixture.ImageProblem);
        await using var broker = await MosquittoBroker.StartAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        await using var pi = await VirtualPi.BootAsync(broker.Port, fixture.Build, fakeW1: true, apDown: true);
        output.WriteLine($"boot to multi-user.target, access point down: {pi.BootTime.TotalSeconds:0.0} s {pi.BootOutput}");

        var install = await pi.InstallServiceAsync();
        Assert.True(install.ExitCode == 0, $"install.sh failed ({install.ExitCode}): {install.Output}");
        var configure = await pi.ConfigureServiceAsync();
        Assert.True(configure.ExitCode == 0, $"{configure.Output}\n{await pi.JournalAsync("labtelemetry")}");

        // The keyfile way of README: the shipped lab-wifi.nmconnection filled in, installed 0600, loaded.
        var keyfile = await pi.RunAsync($"""
            set -e
            sed -e 's/^ssid=.*/ssid={VirtualPi.Ssid}/' -e 's/^psk=.*/psk={VirtualPi.Passphrase}/' /root/labtelemetry/networkmanager/lab-wifi.nmconnection > /root/lab-wifi.nmconnection
            install -m 0600 /root/lab-wifi.nmconnection /etc/NetworkManager/system-connections/
            nmcli connection reload
            nmcli -g connection.autoconnect-retries,802-11-wireless.cloned-mac-address connection show lab-wifi
            """);
        Assert.True(keyfile.ExitCode == 0, keyfile.Output);
        Assert.Equal("0\npermanent", keyfile.StandardOutput.Trim());

        var delays = new List<double>();
        var down = TimeSpan.FromSeconds(VirtualPiSuite.LongVariants ? 150 : 50);
        // Real time, for the guest: readings pile up and the attempts keep the backoff's pace while the access point is off.
        await Task.Delay(down);
        Assert.Empty(grader.Deliveries);
        await ReturnAsync(pi, grader, delays, "boot with the access point down", since: 0);

        // Outages while publishing; the first comes back with an address from another range.
        int outages = VirtualPiSuite.LongVariants ? 3 : 1;
        string before = await AddressAsync(pi);
        for (int outage = 1; outage <= outages; outage++)
        {
            if (outage == 1)
            {
                var renumber = await pi.RunAsync("""
                    set -e
                    sed -i 's/^dhcp-range=.*/dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h/' /etc/virtualpi/dhcp.conf
                    rm -f /run/virtualpi-dhcp.leases
                    systemctl restart virtualpi-dhcp
                    """);
                Assert.True(renumber.ExitCode == 0, renumber.Output);
            }

            int since = pi.ConsoleLines().Count;
            Assert.True((await pi.AccessPointAsync(on: false)).ExitCode == 0);
            int made = grader.Deliveries.Count;

            // The outage itself, in the guest's real time.
            await Task.Delay(TimeSpan.FromSeconds(VirtualPiSuite.LongVariants ? 180 : 60));
            output.WriteLine($"outage {outage}: {grader.Deliveries.Count - made} readings arrived while the access point was off");
            await ReturnAsync(pi, grader, delays, $"outage {outage}", since);
        }

        string after = await AddressAsync(pi);
        output.WriteLine($"wlan0's address before the outages {before}, after {after}");
        Assert.Matches(@"^10\.77\.0\.1[0-9][0-9]$", after);
        Assert.NotEqual(before, after);

        // Every reading, from the first the service made, in order; twice at most those in flight when the link went.
        var sequences = grader.Deliveries.Select(d => long.Parse(d.Sequence!, CultureInfo.InvariantCulture)).ToList();
        var firsts = sequences.Distinct().ToList();
        output.WriteLine($"{sequences.Count} readings, {sequences.Count - firsts.Count} delivered twice");
        Assert.Equal(Enumerable.Range(1, firsts.Count).Select(n => (long)n), firsts);
        Assert.InRange(sequences.Count - firsts.Count, 0, 16);
        Assert.All(grader.Deliveries, d => Assert.Equal((VirtualPi.ThermometerPayload, $"DATA/{VirtualPi.Mac}"), (d.Payload, d.Topic)));

        delays.Sort();
        output.WriteLine($"NetworkManager's 'activated' to the first reading at the broker: median {delays[delays.Count / 2]:0.0} s, max {delays[^1]:0.0} s, of {delays.Count}");
    }

    private static async Task<string> AddressAsync(VirtualPi pi) =>
        (await pi.RunAsync("ip -4 -o addr show dev wlan0 | awk '{print $4}' | cut -d/ -f1")).StandardOutput.Trim();

    /// <summary>
    /// The access point back on: NetworkManager's "activated", then the link-caused attempt before the backoff's next
    /// due time, and the first reading at the broker within <see cref="ActivatedToDelivery"/> of "activated"; the attempts
    /// since console line <paramref name="since"/> (the outage's start) at the backoff's pace.
    /// </summary>
    private async Task ReturnAsync(VirtualPi pi, TestSubscriber grader, List<double> delays, string what, int since)
    {
        int consoleFrom = pi.ConsoleLines().Count;
        int delivered = grader.Deliveries.Count;
        Assert.True((await pi.AccessPointAsync(on: true)).ExitCode == 0);

        // Looked for at a pace that leaves the cores to the guest; the host's clock says when it was written.
        string? activated = null;
        var waiting = Stopwatch.StartNew();
        // NetworkManager scans less often the longer it has been disconnected (every 2 min at most).
        while (activated is null && waiting.Elapsed < TimeSpan.FromMinutes(3))
        {
            activated = pi.ConsoleLines().Skip(consoleFrom).FirstOrDefault(l => l.Contains("device (wlan0): state change: secondaries -> activated", StringComparison.Ordinal));
            if (activated is null)
            {
                await Task.Delay(100);
            }
        }

        var activatedAt = TimeProvider.System.GetUtcNow();
        Assert.True(activated is not null, $"{what}: NetworkManager did not connect within 3 min of the access point's return\n{await pi.JournalAsync("NetworkManager")}");
        Assert.True(
            await Eventually.TrueAsync(() => grader.Deliveries.Count > delivered, TimeSpan.FromSeconds(60)),
            $"{what}: no reading at the broker within 60 s of 'activated'\n{await pi.JournalAsync("labtelemetry")}");
        double delay = (grader.Deliveries.ElementAt(delivered).At - activatedAt).TotalSeconds;
        delays.Add(delay);
        output.WriteLine($"{what}: access point back, 'activated' after {waiting.Elapsed.TotalSeconds:0.0} s, the first reading {delay:0.00} s after it (negative: before it)");

        // The service's lines since the access point went on: the attempt the link caused, and the backoff's plan before it.
        var lines = pi.ConsoleLines();
        double activatedSeconds = VirtualPi.ConsoleSeconds(activated!)!.Value;
        int linkUp = lines.ToList().FindIndex(consoleFrom, l => l.Contains("Link up: connecting to", StringComparison.Ordinal));
        Assert.True(linkUp >= 0, $"{what}: no 'Link up: connecting' line: the connect attempt waited for the backoff\n{string.Join('\n', lines.Skip(consoleFrom).Where(l => l.Contains("LabTelemetry", StringComparison.Ordinal)))}");
        double linkUpSeconds = VirtualPi.ConsoleSeconds(lines[linkUp])!.Value;
        // Under emulation NetworkManager says "activated" well after the address is there (ip-check, dispatcher): the
        // link's attempt may come before it, never long after.
        Assert.True(linkUpSeconds <= activatedSeconds + ActivatedToDelivery.TotalSeconds, $"{what}: the link's attempt at {linkUpSeconds:0.0} s, 'activated' at {activatedSeconds:0.0} s");
        output.WriteLine($"{what}: the link's attempt {linkUpSeconds - activatedSeconds:0.0} s after 'activated' (guest clock)");
        // The console line, not the match: its time stamp is the line's.
        var planned = lines.Take(linkUp).Select(l => (Line: l, Match: NextAttempt().Match(l))).LastOrDefault(f => f.Match.Success);
        if (planned.Match is { Success: true })
        {
            double due = VirtualPi.ConsoleSeconds(planned.Line)!.Value + double.Parse(planned.Match.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(linkUpSeconds < due, $"{what}: the link's attempt at {linkUpSeconds:0.0} s came after the backoff's, due at {due:0.0} s");
            output.WriteLine($"{what}: the link's attempt {due - linkUpSeconds:0.0} s before the backoff's");
        }

        Assert.True(delay <= ActivatedToDelivery.TotalSeconds, $"{what}: the first reading came {delay:0.0} s after 'activated'");
        AssertBackoffPace(lines.Take(linkUp).Skip(since).ToList(), what);
    }

    /// <summary>Each failed attempt announced the next one's delay; none came sooner.</summary>
    private void AssertBackoffPace(IReadOnlyList<string> lines, string what)
    {
        var failures = lines.Select(l => (Line: l, Match: NextAttempt().Match(l))).Where(f => f.Match.Success).ToList();
        for (int i = 1; i < failures.Count; i++)
        {
            double announced = double.Parse(failures[i - 1].Match.Groups[1].Value, CultureInfo.InvariantCulture);
            double gap = VirtualPi.ConsoleSeconds(failures[i].Line)!.Value - VirtualPi.ConsoleSeconds(failures[i - 1].Line)!.Value;
            Assert.True(gap >= announced - 0.3, $"{what}: an attempt {gap:0.0} s after the one before, which announced {announced} s:\n{failures[i - 1].Line}\n{failures[i].Line}");
        }

        output.WriteLine($"{what}: {failures.Count} failed attempts while it was away, each after the delay the one before announced");
    }

    [GeneratedRegex(@"Connecting to \S+ failed \(attempt \d+\): .*; next attempt in ([0-9.]+) s")]
    private static partial Regex NextAttempt();
}
