using System.Diagnostics;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>deploy/networkmanager/wifi-provision.sh, checked by what it would write and run (--dry-run); the virtual Pi runs it for real.</summary>
public sealed class WifiProvisionTests
{
    private static async Task<(int ExitCode, string Output)> ProvisionAsync(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("bash", [RepositoryRoot.File("deploy", "networkmanager", "wifi-provision.sh"), .. args, "--dry-run"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        try
        {
            await process.StandardInput.WriteAsync(stdin ?? string.Empty);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The script refused its arguments before it read the passphrase: its exit code says so.
        }
        string output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    [Fact]
    public async Task HiddenNetworkWithPriority_PassphraseOnStdin_WritesAKeyfileThatKeepsTheMacAndNeverGivesUp()
    {
        var (exitCode, output) = await ProvisionAsync("secret123\n", "--ssid", "Lab WiFi", "--hidden", "--priority", "20");

        Assert.Equal(0, exitCode);
        Assert.Equal(
            """
            /etc/NetworkManager/system-connections/Lab WiFi.nmconnection (0600):
              [connection]
              id=Lab WiFi
              type=wifi
              interface-name=wlan0
              autoconnect=true
              autoconnect-priority=20
              autoconnect-retries=0

              [wifi]
              mode=infrastructure
              ssid=Lab WiFi
              hidden=true
              cloned-mac-address=permanent

              [wifi-security]
              key-mgmt=wpa-psk
              psk=<the passphrase>

              [ipv4]
              method=auto

              [ipv6]
              method=auto
            nmcli connection load /etc/NetworkManager/system-connections/Lab\ WiFi.nmconnection
            nmcli connection up id Lab\ WiFi
            """,
            string.Join('\n', output.Trim().Split('\n').Select(line => line.TrimEnd())));
        Assert.DoesNotContain("secret123", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PskFile_TakesItsFirstLine()
    {
        using var scratch = new ScratchDirectory();
        string file = Path.Combine(scratch.Path, "psk");
        await File.WriteAllTextAsync(file, "short\nsecond line\n");

        var (exitCode, output) = await ProvisionAsync(null, "--ssid", "Lab", "--psk-file", file);

        Assert.Equal(64, exitCode);
        Assert.Contains("8 to 63 characters", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Country_SetsTheRegulatoryDomainNowAndAtBoot_AndTurnsTheRadioOn()
    {
        var (exitCode, output) = await ProvisionAsync("secret123\n", "--ssid", "Lab", "--country", "ru");

        Assert.Equal(0, exitCode);
        string[] lines = output.Split('\n');
        Assert.Equal("iw reg set RU", lines[0]);
        Assert.Equal("options cfg80211 ieee80211_regdom=RU > /etc/modprobe.d/labtelemetry-wifi-country.conf", lines[1]);
        Assert.Contains("nmcli radio wifi on", lines);
    }

    [Fact]
    public async Task OpenNetwork_HasNoSecuritySettings()
    {
        var (exitCode, output) = await ProvisionAsync(null, "--ssid", "Open", "--open");

        Assert.Equal(0, exitCode);
        Assert.DoesNotContain("wifi-security", output, StringComparison.Ordinal);
        Assert.DoesNotContain("psk", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PskOnTheCommandLine_IsRefusedWithTheWayToPassIt()
    {
        var (exitCode, output) = await ProvisionAsync(null, "--ssid", "Lab", "--psk", "secret123");

        Assert.Equal(64, exitCode);
        Assert.Contains("ps shows it to every user", output, StringComparison.Ordinal);
        Assert.Contains("--psk-file", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("secret123\n")]
    [InlineData("short\n", "--ssid", "Lab")]
    [InlineData("secret123\n", "--ssid", "Lab", "--country", "Russia")]
    public async Task MissingSsidShortPassphraseOrBadCountry_ExitsWith64(string stdin, params string[] args)
    {
        Assert.Equal(64, (await ProvisionAsync(stdin, args)).ExitCode);
    }
}
