using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using LabTelemetry.Core.Configuration;

namespace LabTelemetry.Core.Gpio;

/// <summary>
/// Opens the configured pins on the header's chip through libgpiod, each or none: a pin that cannot be had is one
/// warning naming its key and the fix, and the service goes on without it.
/// </summary>
/// <param name="driver">Makes the driver of a chip; libgpiod's unless a test hands its own.</param>
public sealed partial class GpioPins(GpioOptions options, ILogger<GpioPins> logger, Func<GpioChip, GpioDriver>? driver = null, Func<IReadOnlyList<GpioChip>>? chips = null)
{
    /// <summary>The GPIO numbers a pin may take: the header's GPIO0–27.</summary>
    public const int LastHeaderPin = 27;

    private (GpioChip? Chip, string? Problem)? _found;

    /// <summary>Refuses two uses of one pin (the LED, the thermometer's supply, its 1-Wire data line).</summary>
    /// <exception cref="ConfigurationException">Two keys name the same GPIO.</exception>
    public static void CheckDistinct(params (string Key, int? Pin)[] pins)
    {
        var clash = pins.Where(p => p.Pin is not null).GroupBy(p => p.Pin).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw new ConfigurationException($"{string.Join(" and ", clash.Select(p => p.Key))} are both GPIO{clash.Key}; give each its own pin.");
        }
    }

    /// <summary>The chip the pins are lines of, or why there is none (looked for once).</summary>
    public (GpioChip? Chip, string? Problem) Find() => _found ??= GpioChip.Find(options.Chip, (chips ?? (() => GpioChip.List()))());

    /// <summary>The pin <paramref name="key"/> names, taken as an output at its rest level; <see langword="null"/> (and one warning) when it cannot be.</summary>
    public OutputPin? TryOpen(string key, int pin, bool activeLow, bool restOn)
    {
        var (found, problem) = Find();
        if (found is not { } chip)
        {
            Log.Unavailable(logger, key, pin, problem!);
            return null;
        }

        try
        {
            var controller = new GpioController((driver ?? Libgpiod)(chip));
            try
            {
                return new OutputPin(controller, pin, activeLow, restOn).Open();
            }
            catch
            {
                controller.Dispose();
                throw;
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or PlatformNotSupportedException or UnauthorizedAccessException or ArgumentException)
        {
            Log.Unavailable(logger, key, pin, $"{chip.Path} ({chip.Label}) line {pin}: {ex.Message}; check that no other program holds it (gpioinfo shows the consumer), that the wiring's GPIO is {key}, and that the user may open {chip.Path}");
            return null;
        }
    }

    // libgpiod's v1 library (Bookworm's libgpiod2, libgpiod.so.2), else v2's (libgpiod.so.3). Not GpioController's own
    // choice: on a Pi 3 or 4 that is RaspberryPi3Driver, which pokes /dev/gpiomem's registers, takes no line (no
    // consumer to see, nothing released when we die) and needs a device node the unit does not grant.
    private static GpioDriver Libgpiod(GpioChip chip)
    {
        try
        {
            return new LibGpiodDriver(chip.Number);
        }
        catch (PlatformNotSupportedException)
        {
            return new LibGpiodV2Driver(chip.Number);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "{Key} GPIO{Pin} is not used: {Problem}. The service goes on without it")]
        public static partial void Unavailable(ILogger logger, string key, int pin, string problem);
    }
}
