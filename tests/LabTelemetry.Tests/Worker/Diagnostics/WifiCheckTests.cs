using LabTelemetry.Worker.Diagnostics;

namespace LabTelemetry.Tests.Worker.Diagnostics;

public class WifiCheckTests
{
    private const string CountrySet = "global\ncountry DE: DFS-ETSI\n\t(2400 - 2483 @ 40), (N/A, 20), (N/A)\n";
    private const string CountryUnset = "global\ncountry 00: DFS-UNSET\n\t(2402 - 2472 @ 40), (6, 20), (N/A)\n";
    private const string Connected = "GENERAL.STATE:100 (connected)\nGENERAL.CONNECTION:LabWiFi\n";
    private const string Disconnected = "GENERAL.STATE:30 (disconnected)\nGENERAL.CONNECTION:\n";

    // NetworkManager's and wpa_supplicant's lines as a wrong passphrase leaves them (bookworm, NetworkManager 1.42).
    private const string WrongPassphrase = """
        <info>  [1764640000.1000] device (wlan0): state change: disconnected -> prepare (reason 'none', sys-iface-state: 'managed')
        wlan0: CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="LabWiFi" auth_failures=1 duration=10 reason=WRONG_KEY
        <info>  [1764640014.2000] device (wlan0): state change: need-auth -> failed (reason 'no-secrets', sys-iface-state: 'managed')
        <info>  [1764640014.2100] device (wlan0): state change: failed -> disconnected (reason 'none', sys-iface-state: 'managed')
        """;

    [Fact]
    public void Describe_AllWell_SaysTheCountryAndTheConnection()
    {
        var lines = WifiCheck.Describe("wlan0", [new(false, false)], CountrySet, Connected, null);

        Assert.Equal(["✓ the WLAN country is DE", "✓ Wi-Fi wlan0 is connected to 'LabWiFi' (NetworkManager)"], lines.Select(l => l.ToString()));
    }

    [Fact]
    public void Describe_RadioBlockedAndNoCountry_SaysBoth()
    {
        var lines = WifiCheck.Describe("wlan0", [new(true, false)], CountryUnset, Disconnected, string.Empty);

        Assert.StartsWith("✗ the Wi-Fi radio is blocked (rfkill) — set the WLAN country: wifi-provision.sh --country XX", lines[0].ToString(), StringComparison.Ordinal);
        Assert.StartsWith("✗ the WLAN country is not set — wifi-provision.sh --country XX", lines[1].ToString(), StringComparison.Ordinal);
        Assert.StartsWith("✗ Wi-Fi wlan0 is not connected: NetworkManager says 'disconnected' — ", lines[2].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_WrongPassphrase_NamesNetworkManagersReasonAndWpaSupplicants()
    {
        var lines = WifiCheck.Describe("wlan0", [], CountrySet, Disconnected, WrongPassphrase);

        Assert.Equal(
            "✗ Wi-Fi wlan0 is not connected: NetworkManager says 'disconnected'; its last attempt failed: 'no-secrets' (wpa_supplicant: WRONG_KEY) — the access point refused the passphrase: run wifi-provision.sh again with the right one",
            lines[^1].ToString());
    }

    [Fact]
    public void Describe_AFailureBeforeTheLastActivation_IsNotBlamed()
    {
        string journal = WrongPassphrase + "\n<info>  [1764640100.0000] device (wlan0): state change: secondaries -> activated (reason 'none', sys-iface-state: 'managed')\n";

        var lines = WifiCheck.Describe("wlan0", [], CountrySet, Disconnected, journal);

        Assert.DoesNotContain("no-secrets", lines[^1].ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("WRONG_KEY", lines[^1].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_NoIwNoNetworkManager_SaysItCannotTell()
    {
        var lines = WifiCheck.Describe("wlan0", [], null, null, null);

        Assert.Equal(["· cannot tell the WLAN country (no `iw`)", "· cannot ask NetworkManager about wlan0 (`nmcli device status`)"], lines.Select(l => l.ToString()));
    }
}
