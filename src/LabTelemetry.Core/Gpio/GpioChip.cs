namespace LabTelemetry.Core.Gpio;

/// <summary>A GPIO chip the kernel offers at <c>/dev/gpiochipN</c>; the one wired to the Pi's header is found by its label.</summary>
/// <param name="Number">N of <c>/dev/gpiochipN</c>, which libgpiod opens the chip by.</param>
public sealed record GpioChip(int Number, string Path, string Label, int Lines)
{
    /// <summary>The header's chip on each Pi: 3, 4, 5; a Pi 5's number changed between kernels, its label did not.</summary>
    public static readonly string[] HeaderLabels = ["pinctrl-bcm2835", "pinctrl-bcm2711", "pinctrl-rp1"];

    public const string DeviceDirectory = "/dev";

    /// <summary>Every chip this process can open; nodes it cannot read are left out.</summary>
    public static IReadOnlyList<GpioChip> List(string directory = DeviceDirectory)
    {
        var chips = new List<GpioChip>();
        string[] nodes = Directory.Exists(directory) ? Directory.GetFiles(directory, "gpiochip*") : [];
        foreach (string path in nodes.Order(StringComparer.Ordinal))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(path)["gpiochip".Length..], out int number))
            {
                continue;
            }

            try
            {
                var (_, label, lines) = ChipDevice.Info(path);
                chips.Add(new GpioChip(number, path, label, lines));
            }
            catch (IOException)
            {
                // Not ours to open (permissions), or gone since the listing: Find says what it could not use.
            }
        }

        return chips;
    }

    /// <summary>
    /// The chip named by <c>Gpio:Chip</c> (<c>gpiochip4</c>, <c>/dev/gpiochip4</c> or a label), or else the header's.
    /// </summary>
    /// <returns>The chip, or the reason a person can act on why there is none.</returns>
    public static (GpioChip? Chip, string? Problem) Find(string? wanted, IReadOnlyList<GpioChip> chips)
    {
        if (chips.Count == 0)
        {
            return (null, "no GPIO chip can be opened (/dev/gpiochip* is missing or not readable): on a Pi run Raspberry Pi OS Bookworm or later; under systemd the unit needs its GPIO drop-in (install.sh --gpio; README, Status LED and power pin)");
        }

        string seen = string.Join(", ", chips.Select(c => $"{System.IO.Path.GetFileName(c.Path)} ({c.Label})"));
        if (!string.IsNullOrEmpty(wanted))
        {
            var chip = chips.FirstOrDefault(c => c.Path == wanted || System.IO.Path.GetFileName(c.Path) == wanted || c.Label == wanted);
            return chip is null ? (null, $"Gpio:Chip {wanted} is not among the chips ({seen})") : (chip, null);
        }

        var header = chips.FirstOrDefault(c => HeaderLabels.Contains(c.Label));
        return header is null ? (null, $"none of the chips is a Raspberry Pi's header ({seen}); set Gpio:Chip to the one to use") : (header, null);
    }
}
