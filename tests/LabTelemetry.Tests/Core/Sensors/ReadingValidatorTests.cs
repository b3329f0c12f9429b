using LabTelemetry.Core.Sensors;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Core.Sensors;

public class ReadingValidatorTests
{
    private readonly SteppedWallClock _clock = new();
    private readonly ReadingValidator _validator;
    private double _seconds;

    public ReadingValidatorTests() => _validator = new(maxRateCelsiusPerSecond: 2.0, _clock);

    /// <summary>Validates a reading taken <paramref name="seconds"/> after the test began.</summary>
    private SensorReading ValidateAt(double seconds, double celsius)
    {
        _clock.Advance(TimeSpan.FromSeconds(seconds - _seconds));
        _seconds = seconds;
        return _validator.Validate(celsius);
    }

    [Fact]
    public void Validate_RoomTemperature_IsAccepted()
    {
        var reading = ValidateAt(0, 21.5);

        Assert.Equal(new SensorReading(21.5, _clock.GetUtcNow(), _clock.GetTimestamp()), reading);
    }

    [Theory]
    [InlineData(-127.0)]
    [InlineData(-60.0)]
    [InlineData(125.5)]
    [InlineData(double.NaN)]
    public void Validate_OutsideTheDs18b20Range_IsRejected(double celsius)
    {
        var ex = Assert.Throws<SensorException>(() => ValidateAt(0, celsius));

        Assert.Equal(SensorFault.OutOfRange, ex.Fault);
    }

    [Fact]
    public void Validate_Minus127_SaysTheSensorIsUnplugged()
    {
        var ex = Assert.Throws<SensorException>(() => ValidateAt(0, -127));

        Assert.Contains("unplugged", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-55.0)]
    [InlineData(125.0)]
    public void Validate_RangeEnds_AreAccepted(double celsius)
    {
        Assert.Equal(celsius, ValidateAt(0, celsius).Celsius);
    }

    [Fact]
    public void Validate_85Once_IsRejectedAsPowerOnReset()
    {
        ValidateAt(0, 21.5);

        var ex = Assert.Throws<SensorException>(() => ValidateAt(1, 85));

        Assert.Equal(SensorFault.PowerOnReset, ex.Fault);
    }

    [Fact]
    public void Validate_85ConfirmedByTheNextRead_IsAccepted()
    {
        Assert.Throws<SensorException>(() => ValidateAt(0, 85));

        Assert.Equal(85, ValidateAt(1, 85).Celsius);
    }

    [Fact]
    public void Validate_85ThenARealValue_AcceptsTheRealValue()
    {
        ValidateAt(0, 21.5);
        Assert.Throws<SensorException>(() => ValidateAt(1, 85));

        Assert.Equal(21.6, ValidateAt(2, 21.6).Celsius);
    }

    [Fact]
    public void Validate_JumpFasterThanTheRate_IsRejected()
    {
        ValidateAt(0, 21.5);

        var ex = Assert.Throws<SensorException>(() => ValidateAt(1, 40));

        Assert.Equal(SensorFault.TooFast, ex.Fault);
        Assert.Contains("Sensor:MaxRateCelsiusPerSecond", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TwoReadsAtTheSameInstant_DifferingByTheSensorsNoise_AreBothAccepted()
    {
        ValidateAt(0, 21.51);

        Assert.Equal(21.47, ValidateAt(0, 21.47).Celsius);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    public void Validate_WithinASecond_AChangeAboveTheRateForASecond_IsRejected(double seconds)
    {
        ValidateAt(0, 21.5);

        // 2 °C/s judged over at least a second: 2.5 °C is too much however short the time, 1.9 °C is not.
        Assert.Equal(SensorFault.TooFast, Assert.Throws<SensorException>(() => ValidateAt(seconds, 24.0)).Fault);
        Assert.Equal(23.4, ValidateAt(seconds, 23.4).Celsius);
    }

    [Fact]
    public void Validate_SameChangeOverLongerTime_IsAccepted()
    {
        ValidateAt(0, 21.5);

        Assert.Equal(40, ValidateAt(60, 40).Celsius);
    }

    [Fact]
    public void Validate_NewLevelRepeatedThreeTimes_IsBelieved()
    {
        ValidateAt(0, 21.5);
        Assert.Throws<SensorException>(() => ValidateAt(1, 4.0));
        Assert.Throws<SensorException>(() => ValidateAt(2, 4.1));

        Assert.Equal(4.1, ValidateAt(3, 4.1).Celsius);
    }

    [Fact]
    public void Validate_SpikesThatDisagree_AreNeverBelieved()
    {
        ValidateAt(0, 21.5);

        Assert.Throws<SensorException>(() => ValidateAt(1, 60));
        Assert.Throws<SensorException>(() => ValidateAt(2, -20));
        Assert.Throws<SensorException>(() => ValidateAt(3, 60));
        Assert.Throws<SensorException>(() => ValidateAt(4, -20));
    }

    [Fact]
    public void Validate_WhenTheWallClockStepsADayBack_JudgesTheRateOnRealTime()
    {
        ValidateAt(0, 21.5);
        _clock.Step(TimeSpan.FromDays(-1));

        Assert.Equal(21.6, ValidateAt(1, 21.6).Celsius);
    }

    [Fact]
    public void Validate_WhenTheWallClockStepsADayForward_StillRejectsAJump()
    {
        ValidateAt(0, 21.5);
        _clock.Step(TimeSpan.FromDays(1));

        var ex = Assert.Throws<SensorException>(() => ValidateAt(1, 40));

        Assert.Equal(SensorFault.TooFast, ex.Fault);
        Assert.Contains("1 s earlier", ex.Message, StringComparison.Ordinal);
    }
}
