using System.Diagnostics;
using LabTelemetry.Core.Gpio;
using LabTelemetry.Core.Led;
using LabTelemetry.Core.Sensors;

namespace LabTelemetry.Worker.Diagnostics;

/// <summary>The configured pins: their chip and line, who holds each, the LED blinked when it is free, and the power cycles the journal saw.</summary>
internal static class GpioCheck
{
    private const string CycleLine = "Power-cycled the thermometer";
    private static readonly TimeSpan BlinkStep = TimeSpan.FromMilliseconds(400);

    public static async IAsyncEnumerable<CheckLine> RunAsync(LedOptions led, SensorOptions sensor, GpioPins pins)
    {
        (string Key, int? Pin)[] keys = [("Led:Pin", led.Pin), ("Sensor:PowerPin", sensor.PowerPin)];
        (string Key, int Pin)[] configured = [.. keys.Where(p => p.Pin is not null).Select(p => (p.Key, p.Pin!.Value))];
        if (configured.Length == 0)
        {
            yield return CheckLine.Info("GPIO: no Led:Pin or Sensor:PowerPin set, none used");
            yield break;
        }

        var (chip, problem) = pins.Find();
        if (chip is null)
        {
            yield return CheckLine.Bad($"GPIO: {problem}", "on a Pi: sudo gpiodetect lists the chips; as the service: sudo ./install.sh --gpio (or README's drop-in)");
            yield break;
        }

        foreach (var (key, pin) in configured)
        {
            var (used, consumer) = ChipDevice.Line(chip.Path, pin);
            string where = $"{key} GPIO{pin}: {chip.Path} ({chip.Label}) line {pin}";
            bool ours = used && consumer == Process.GetCurrentProcess().ProcessName;
            yield return !used ? CheckLine.Good($"{where}, free (the service is not running, or not using it)")
                : ours ? CheckLine.Good($"{where}, held by {consumer} (the service)")
                : CheckLine.Bad($"{where}, held by {(consumer.Length == 0 ? "the kernel" : consumer)}", $"free it or choose another pin for {key} (gpioinfo shows every line's user)");
            if (key == "Led:Pin" && !used)
            {
                yield return await BlinkAsync(pins, pin, led.ActiveLow).ConfigureAwait(false);
            }
        }

        if (sensor.PowerPin is not null)
        {
            yield return await PowerCyclesAsync().ConfigureAwait(false);
        }
    }

    // Three blinks, for a person looking at the board; only when the service does not hold the LED.
    private static async Task<CheckLine> BlinkAsync(GpioPins pins, int pin, bool activeLow)
    {
        using var led = pins.TryOpen("Led:Pin", pin, activeLow, restOn: false);
        if (led is null)
        {
            return CheckLine.Bad($"Led:Pin GPIO{pin} cannot be opened", "see the warning above");
        }

        for (int i = 0; i < 3; i++)
        {
            led.Set(true);
            await Task.Delay(BlinkStep, TimeProvider.System).ConfigureAwait(false);
            led.Set(false);
            await Task.Delay(BlinkStep, TimeProvider.System).ConfigureAwait(false);
        }

        return CheckLine.Info($"Led:Pin GPIO{pin} blinked three times: do you see it? If not, check the LED's way round (Led:ActiveLow) and its resistor");
    }

    private static async Task<CheckLine> PowerCyclesAsync()
    {
        try
        {
            using var journal = Process.Start(new ProcessStartInfo("journalctl", ["-u", "labtelemetry", "--since", "-7d", "-o", "cat", "--no-pager", "--grep", CycleLine])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            string output = await journal.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            await journal.WaitForExitAsync().ConfigureAwait(false);
            string[] cycles = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return CheckLine.Info(cycles.Length == 0
                ? "thermometer power cycles in the journal (7 days): none"
                : $"thermometer power cycles in the journal (7 days): {cycles.Length}, the last: {cycles[^1]}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return CheckLine.Info("thermometer power cycles: no journalctl to ask");
        }
    }
}
