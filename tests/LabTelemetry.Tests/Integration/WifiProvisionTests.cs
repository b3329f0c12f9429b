using System.Diagnostics;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>deploy/networkmanager/wifi-provision.sh, checked by the nmcli commands it would run (--dry-run).</summary>
public sealed class WifiProvisionTests
{
    private static async Task<(int ExitCode, string Output)> ProvisionAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash", [RepositoryRoot.File("deploy", "networkmanager", "wifi-provision.sh"), .. args, "--dry-run"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    [Fact]
    public async Task HiddenNetworkWithPriority_AddsAConnectionThatKeepsTheMacAndComesUp()
    {
        var (exitCode, output) = await ProvisionAsync("--ssid", "Lab WiFi", "--psk", "secret123", "--hidden", "--priority", "20");

        Assert.Equal(0, exitCode);
        string[] lines = output.Trim().Split('\n');
        Assert.Equal(
            "nmcli connection add type wifi ifname wlan0 con-name Lab\\ WiFi connection.autoconnect yes connection.autoconnect-priority 20 " +
            "802-11-wireless.ssid Lab\\ WiFi 802-11-wireless.hidden yes 802-11-wireless.cloned-mac-address permanent wifi-sec.key-mgmt wpa-psk wifi-sec.psk secret123",
            lines[0]);
        Assert.Equal("nmcli connection up Lab\\ WiFi", lines[1]);
    }

    [Fact]
    public async Task OpenNetwork_HasNoSecuritySettings()
    {
        var (_, output) = await ProvisionAsync("--ssid", "Open", "--open");

        Assert.DoesNotContain("wifi-sec", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--psk", "secret123")]
    [InlineData("--ssid", "Lab", "--psk", "short")]
    public async Task MissingSsidOrShortPassphrase_ExitsWith64(params string[] args)
    {
        Assert.Equal(64, (await ProvisionAsync(args)).ExitCode);
    }
}
