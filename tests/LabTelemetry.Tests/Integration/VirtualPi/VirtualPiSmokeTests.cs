using System.Globalization;
using System.Text.RegularExpressions;
using LabTelemetry.Tests.Support;
using Xunit.Abstractions;

namespace LabTelemetry.Tests.Integration.VirtualPi;

/// <summary>
/// The chain every VM test stands on, proven once for real: the published build installed in a virtual Pi by its
/// install.sh, the Wi-Fi joined by the shipped wifi-provision.sh through NetworkManager (no dry run), and what the Pi
/// publishes arriving at a Mosquitto on this machine's loopback, through the access point and nothing else.
/// </summary>
[Collection(VirtualPiSuite.Name)]
[Trait(VirtualPiSuite.Trait, VirtualPiSuite.Name)]
public sealed partial class VirtualPiSmokeTests(VirtualPiFixture fixture, ITestOutputHelper output)
{
    private const string Group = "БАГ-18-01";
    private const string Student = "Иванов И.И";

    [SkippableFact]
    public async Task WifiProvision_JoinsTheAccessPoint_AndAQos1PublishAndTheServicesReadingReachTheHostBroker_SimulatedSensor()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Assert.True(fixture.ImageProblem is null, fixture.ImageProblem);
        await using var broker = await MosquittoBroker.StartAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "#");
        await using var pi = await VirtualPi.BootAsync(broker.Port, fixture.Build);
        output.WriteLine($"boot to multi-user.target: {pi.BootTime.TotalSeconds:0.0} s {pi.BootOutput}");

        // Before the Wi-Fi there is no way out at all: the wired NIC belongs to the access point's namespace.
        var offline = await pi.RunAsync($"mosquitto_pub -h {VirtualPi.BrokerAddress} -q 1 -t smoke/offline -m x");
        Assert.True(offline.ExitCode != 0, $"published before the Wi-Fi was joined: {offline.Output}");

        var install = await pi.InstallServiceAsync();
        Assert.True(install.ExitCode == 0, $"install.sh failed ({install.ExitCode}): {install.Output}");

        var provision = await pi.ProvisionWifiAsync();
        output.WriteLine($"wifi-provision.sh (keyfile, nmcli connection load, up): {provision.Elapsed.TotalSeconds:0.0} s");
        Assert.True(provision.ExitCode == 0, $"wifi-provision.sh failed ({provision.ExitCode}): {provision.Output}\n{await pi.JournalAsync("NetworkManager")}");
        var device = await pi.RunAsync("nmcli -g GENERAL.STATE,GENERAL.CONNECTION,GENERAL.HWADDR device show wlan0");
        Assert.Equal($"100 (connected)\n{VirtualPi.Ssid}\n{VirtualPi.Mac.Replace(":", "\\:", StringComparison.Ordinal)}", device.StandardOutput.Trim());

        var publish = await pi.RunAsync($"mosquitto_pub -h {VirtualPi.BrokerAddress} -q 1 -t smoke/wifi -m 'through the Wi-Fi'");
        Assert.True(publish.ExitCode == 0, $"mosquitto_pub (QoS 1: exit 0 once PUBACK came): {publish.Output}");
        Assert.True(
            await Eventually.TrueAsync(() => grader.Received.Any(m => m.Topic == "smoke/wifi" && m.Payload == "through the Wi-Fi")),
            $"the host's broker did not pass on smoke/wifi; it got: {string.Join(", ", grader.Received.Select(m => m.Topic))}");

        // The service as installed, its broker overridden (the shipped appsettings.json names the lab's).
        var configure = await pi.RunAsync($$"""
            set -e
            cat > /etc/labtelemetry/appsettings.json <<'JSON'
            {
              "Mqtt": { "Host": "{{VirtualPi.BrokerAddress}}" },
              "Sensor": { "Kind": "Simulated" },
              "Telemetry": { "Interval": "00:00:01", "Group": "{{Group}}", "Students": ["{{Student}}"] }
            }
            JSON
            systemctl restart labtelemetry
            """);
        Assert.True(configure.ExitCode == 0, $"{configure.Output}\n{await pi.JournalAsync("labtelemetry")}");
        string topic = $"DATA/{VirtualPi.Mac}";
        Assert.True(
            await Eventually.TrueAsync(() => grader.Received.Any(m => m.Topic == topic), TimeSpan.FromSeconds(60)),
            $"nothing on {topic}; the broker got: {string.Join(", ", grader.Received.Select(m => m.Topic).Distinct())}\n{await pi.JournalAsync("labtelemetry")}");

        // The simulated room swings ±1.5 °C (and a little noise) around 21.5 °C; the rest is the lab's payload exactly.
        string payload = grader.Received.First(m => m.Topic == topic).Payload;
        var reading = Payload().Match(payload);
        Assert.True(reading.Success, payload);
        Assert.InRange(double.Parse(reading.Groups[1].Value, CultureInfo.InvariantCulture), 19.9, 23.1);

        // journald's copy on the console is how the tests hear the service.
        string? network = await pi.WaitForConsoleLineAsync(line => line.Contains("Network: wlan0 is up, 10.77.0.", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.True(network is not null, "no 'Network: wlan0 is up' line from the service on the console");

        await pi.StopAsync();
    }

    [GeneratedRegex("""^\{"temperature": ([0-9]+\.[0-9]), "students": \["Иванов И\.И"\], "group": "БАГ-18-01"\}$""")]
    private static partial Regex Payload();
}
