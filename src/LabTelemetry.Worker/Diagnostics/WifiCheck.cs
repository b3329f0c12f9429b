using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LabTelemetry.Worker.Diagnostics;

/// <summary>
/// The Wi-Fi below the broker: the radio blocked by rfkill, the WLAN country unset, and NetworkManager's state and last
/// failure reason (from the journal: <c>GENERAL.REASON</c> is reset once the device is back to disconnected).
/// </summary>
internal static partial class WifiCheck
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What the machine says of <paramref name="interfaceName"/>; nothing when it is not a wireless interface.</summary>
    public static async Task<IReadOnlyList<CheckLine>> RunAsync(string interfaceName)
    {
        if (!Directory.Exists($"/sys/class/net/{interfaceName}/wireless") && !Directory.Exists($"/sys/class/net/{interfaceName}/phy80211"))
        {
            return [];
        }

        var radios = Directory.Exists("/sys/class/rfkill")
            ? Directory.GetDirectories("/sys/class/rfkill")
                .Where(radio => Read(Path.Combine(radio, "type")) == "wlan")
                .Select(radio => new RadioSwitch(Read(Path.Combine(radio, "soft")) == "1", Read(Path.Combine(radio, "hard")) == "1"))
                .ToList()
            : [];
        string? regulatory = await ToolAsync("iw", "reg", "get").ConfigureAwait(false);
        string? device = await ToolAsync("nmcli", "-t", "-f", "GENERAL.STATE,GENERAL.CONNECTION", "device", "show", interfaceName).ConfigureAwait(false);
        string? journal = device is null || device.StartsWith("GENERAL.STATE:100", StringComparison.Ordinal)
            ? null
            : await ToolAsync("journalctl", "-b", "-q", "--no-pager", "-o", "cat", "-n", "2000", "-u", "NetworkManager", "-u", "wpa_supplicant").ConfigureAwait(false);
        return Describe(interfaceName, radios, regulatory, device, journal);
    }

    /// <param name="interfaceName">The device's interface.</param>
    /// <param name="radios">Each Wi-Fi radio's rfkill switches.</param>
    /// <param name="regulatory"><c>iw reg get</c>'s output, or <see langword="null"/> without iw.</param>
    /// <param name="device"><c>nmcli -t -f GENERAL.STATE,GENERAL.CONNECTION device show</c>'s output, or <see langword="null"/> without NetworkManager.</param>
    /// <param name="journal">NetworkManager's and wpa_supplicant's journal of this boot, oldest first, or <see langword="null"/>.</param>
    internal static IReadOnlyList<CheckLine> Describe(string interfaceName, IReadOnlyList<RadioSwitch> radios, string? regulatory, string? device, string? journal)
    {
        var lines = new List<CheckLine>();
        if (radios.Any(r => r.Hard))
        {
            lines.Add(CheckLine.Bad("the Wi-Fi radio is blocked by a switch (rfkill, hard)", "a hardware switch or the firmware turned it off"));
        }
        else if (radios.Any(r => r.Soft))
        {
            lines.Add(CheckLine.Bad("the Wi-Fi radio is blocked (rfkill)", "set the WLAN country: wifi-provision.sh --country XX (or `sudo raspi-config nonint do_wifi_country XX`), then `sudo rfkill unblock wifi`"));
        }

        string? country = regulatory is null ? null : GlobalCountry().Match(regulatory) is { Success: true } m ? m.Groups[1].Value : string.Empty;
        if (country is null)
        {
            lines.Add(CheckLine.Info("cannot tell the WLAN country (no `iw`)"));
        }
        else if (country is "" or "00")
        {
            lines.Add(CheckLine.Bad("the WLAN country is not set", "wifi-provision.sh --country XX (the two letters of your country), or `sudo raspi-config nonint do_wifi_country XX`"));
        }
        else
        {
            lines.Add(CheckLine.Good($"the WLAN country is {country}"));
        }

        if (device is null)
        {
            lines.Add(CheckLine.Info($"cannot ask NetworkManager about {interfaceName} (`nmcli device status`)"));
            return lines;
        }

        var state = DeviceState().Match(device);
        string said = state.Success ? state.Groups[2].Value : device.Trim();
        string connection = ConnectionName().Match(device) is { Success: true } c ? c.Groups[1].Value : string.Empty;
        if (state.Success && state.Groups[1].Value == "100")
        {
            lines.Add(CheckLine.Good($"Wi-Fi {interfaceName} is connected to '{connection}' (NetworkManager)"));
            return lines;
        }

        var (reason, wrongKey) = LastFailure(interfaceName, journal);
        string why = reason is null ? string.Empty : $"; its last attempt failed: '{reason}'{(wrongKey ? " (wpa_supplicant: WRONG_KEY)" : string.Empty)}";
        lines.Add(CheckLine.Bad($"Wi-Fi {interfaceName} is not connected: NetworkManager says '{said}'{why}", Fix(reason, wrongKey)));
        return lines;
    }

    private static (string? Reason, bool WrongKey) LastFailure(string interfaceName, string? journal)
    {
        string? reason = null;
        bool wrongKey = false;
        string prefix = $"device ({interfaceName}): state change: ";
        foreach (string line in (journal ?? string.Empty).Split('\n'))
        {
            if (line.Contains(prefix, StringComparison.Ordinal) && line.Contains("-> activated", StringComparison.Ordinal))
            {
                (reason, wrongKey) = (null, false);
            }
            else if (line.Contains(prefix, StringComparison.Ordinal) && FailedReason().Match(line) is { Success: true } failed)
            {
                reason = failed.Groups[1].Value;
            }
            else if (line.Contains("reason=WRONG_KEY", StringComparison.Ordinal))
            {
                wrongKey = true;
            }
        }

        return (reason, wrongKey);
    }

    private static string Fix(string? reason, bool wrongKey) => reason switch
    {
        "no-secrets" or "supplicant-disconnect" or "supplicant-timeout" when wrongKey => "the access point refused the passphrase: run wifi-provision.sh again with the right one",
        "no-secrets" => "no passphrase was accepted: run wifi-provision.sh again with the right one",
        "ssid-not-found" => "no network of that name in range: check the name (--hidden if it hides it) and the access point",
        "ip-config-unavailable" or "dhcp-error" or "dhcp-failed" => "joined, but the network's DHCP gave no address; NetworkManager keeps trying",
        _ => "`nmcli device status`; `journalctl -u NetworkManager -b` says more; wifi-provision.sh sets up the lab's network",
    };

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A tool's standard output, or <see langword="null"/> when it is missing, fails or hangs.</summary>
    private static async Task<string?> ToolAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["LC_ALL"] = "C";
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        if (process is null)
        {
            return null;
        }

        using (process)
        {
            using var timeout = new CancellationTokenSource(ToolTimeout);
            try
            {
                var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
                _ = process.StandardError.ReadToEndAsync(timeout.Token);
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                return process.ExitCode == 0 ? await output.ConfigureAwait(false) : null;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
        }
    }

    [GeneratedRegex(@"^global\s*\ncountry ([0-9A-Z]{2}):", RegexOptions.Multiline)]
    private static partial Regex GlobalCountry();

    [GeneratedRegex(@"^GENERAL\.STATE:(\d+) \(([^)]*)\)", RegexOptions.Multiline)]
    private static partial Regex DeviceState();

    [GeneratedRegex(@"^GENERAL\.CONNECTION:(.*)$", RegexOptions.Multiline)]
    private static partial Regex ConnectionName();

    [GeneratedRegex(@"-> failed \(reason '([^']+)'")]
    private static partial Regex FailedReason();
}

/// <summary>One Wi-Fi radio's rfkill switches: soft (software, what a WLAN country unblocks) and hard (a switch).</summary>
internal sealed record RadioSwitch(bool Soft, bool Hard);
