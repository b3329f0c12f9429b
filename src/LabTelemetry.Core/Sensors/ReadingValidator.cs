namespace LabTelemetry.Core.Sensors;

/// <summary>
/// Rejects what a DS18B20 produces when something is wrong, so that only real room temperatures reach the grader;
/// one instance follows one sensor, and stamps each reading with both clocks.
/// </summary>
public sealed class ReadingValidator(double maxRateCelsiusPerSecond, TimeProvider timeProvider)
{
    public const double MinCelsius = -55;
    public const double MaxCelsius = 125;

    // The DS18B20's temperature register holds 85 °C after power-on, before the first conversion;
    // a brown-out mid-run reads the same. A real 85 °C reads 85 again the next time.
    public const double PowerOnResetCelsius = 85;

    // A level change that no real room makes must repeat this many times, each consistent with the
    // one before, before we believe the room really changed (a sensor moved from a hand to a fridge).
    private const int ReadsToConfirmJump = 3;

    // The shortest time over which a change counts as a rate.
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(1);

    private SensorReading? _lastAccepted;
    private SensorReading? _lastRejectedJump;
    private int _consistentJumps;
    private double? _previousRaw;

    /// <summary>Returns the reading, taken now, when it is plausible; throws <see cref="SensorException"/> when not.</summary>
    public SensorReading Validate(double celsius)
    {
        double? previousRaw = _previousRaw;
        _previousRaw = celsius;

        if (celsius is < MinCelsius or > MaxCelsius || double.IsNaN(celsius))
        {
            string hint = celsius <= -100 ? " (-127 °C and large negatives mean the sensor is unplugged or its data line is broken)" : string.Empty;
            throw new SensorException(SensorFault.OutOfRange, $"{celsius} °C is outside the DS18B20's range of -55 to 125 °C{hint}.");
        }

        if (celsius == PowerOnResetCelsius && previousRaw != PowerOnResetCelsius)
        {
            throw new SensorException(SensorFault.PowerOnReset, "85 °C is the DS18B20's power-on value; waiting for the next read to confirm it (check the sensor's power wiring if this repeats).");
        }

        var reading = new SensorReading(celsius, WholeMilliseconds(timeProvider.GetUtcNow()), timeProvider.GetTimestamp());
        if (_lastAccepted is { } last && IsTooFast(last, reading) && !ConfirmsJump(reading))
        {
            throw new SensorException(SensorFault.TooFast, $"{celsius} °C after {last.Celsius} °C {Between(last, reading).TotalSeconds:0.#} s earlier is faster than {maxRateCelsiusPerSecond} °C/s (Sensor:MaxRateCelsiusPerSecond).");
        }

        _lastAccepted = reading;
        _lastRejectedJump = null;
        _consistentJumps = 0;
        return reading;
    }

    // A reading's time as the outbox stores it (Unix milliseconds), so that it is the same on every delivery.
    private static DateTimeOffset WholeMilliseconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()).ToOffset(at.Offset);

    // The monotonic clock: NTP stepping the wall clock back would turn every change into a jump, and forward hide one.
    private TimeSpan Between(SensorReading from, SensorReading to) => timeProvider.GetElapsedTime(from.Timestamp, to.Timestamp);

    // A rate is judged over a second at least: two reads a moment apart differ by the sensor's noise, which over
    // no time at all would be any rate.
    private bool IsTooFast(SensorReading from, SensorReading to)
    {
        double seconds = Math.Max(Between(from, to).TotalSeconds, RateWindow.TotalSeconds);
        return Math.Abs(to.Celsius - from.Celsius) / seconds > maxRateCelsiusPerSecond;
    }

    private bool ConfirmsJump(SensorReading reading)
    {
        bool consistent = _lastRejectedJump is { } previous && !IsTooFast(previous, reading);
        _consistentJumps = consistent ? _consistentJumps + 1 : 1;
        _lastRejectedJump = reading;
        return _consistentJumps >= ReadsToConfirmJump;
    }
}
