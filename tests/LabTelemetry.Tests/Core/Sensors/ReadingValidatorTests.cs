using LabTelemetry.Core.Sensors;

namespace LabTelemetry.Tests.Core.Sensors;

public class ReadingValidatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private readonly ReadingValidator _validator = new(maxRateCelsiusPerSecond: 2.0);

    private static DateTimeOffset At(double seconds) => Start.AddSeconds(seconds);

    [Fact]
    public void Validate_RoomTemperature_IsAccepted()
    {
        var reading = _validator.Validate(21.5, At(0));

        Assert.Equal(new SensorReading(21.5, At(0)), reading);
    }

    [Theory]
    [InlineData(-127.0)]
    [InlineData(-60.0)]
    [InlineData(125.5)]
    [InlineData(double.NaN)]
    public void Validate_OutsideTheDs18b20Range_IsRejected(double celsius)
    {
        var ex = Assert.Throws<SensorException>(() => _validator.Validate(celsius, At(0)));

        Assert.Equal(SensorFault.OutOfRange, ex.Fault);
    }

    [Fact]
    public void Validate_Minus127_SaysTheSensorIsUnplugged()
    {
        var ex = Assert.Throws<SensorException>(() => _validator.Validate(-127, At(0)));

        Assert.Contains("unplugged", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-55.0)]
    [InlineData(125.0)]
    public void Validate_RangeEnds_AreAccepted(double celsius)
    {
        Assert.Equal(celsius, _validator.Validate(celsius, At(0)).Celsius);
    }

    [Fact]
    public void Validate_85Once_IsRejectedAsPowerOnReset()
    {
        _validator.Validate(21.5, At(0));

        var ex = Assert.Throws<SensorException>(() => _validator.Validate(85, At(1)));

        Assert.Equal(SensorFault.PowerOnReset, ex.Fault);
    }

    [Fact]
    public void Validate_85ConfirmedByTheNextRead_IsAccepted()
    {
        Assert.Throws<SensorException>(() => _validator.Validate(85, At(0)));

        Assert.Equal(85, _validator.Validate(85, At(1)).Celsius);
    }

    [Fact]
    public void Validate_85ThenARealValue_AcceptsTheRealValue()
    {
        _validator.Validate(21.5, At(0));
        Assert.Throws<SensorException>(() => _validator.Validate(85, At(1)));

        Assert.Equal(21.6, _validator.Validate(21.6, At(2)).Celsius);
    }

    [Fact]
    public void Validate_JumpFasterThanTheRate_IsRejected()
    {
        _validator.Validate(21.5, At(0));

        var ex = Assert.Throws<SensorException>(() => _validator.Validate(40, At(1)));

        Assert.Equal(SensorFault.TooFast, ex.Fault);
        Assert.Contains("Sensor:MaxRateCelsiusPerSecond", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SameChangeOverLongerTime_IsAccepted()
    {
        _validator.Validate(21.5, At(0));

        Assert.Equal(40, _validator.Validate(40, At(60)).Celsius);
    }

    [Fact]
    public void Validate_NewLevelRepeatedThreeTimes_IsBelieved()
    {
        _validator.Validate(21.5, At(0));
        Assert.Throws<SensorException>(() => _validator.Validate(4.0, At(1)));
        Assert.Throws<SensorException>(() => _validator.Validate(4.1, At(2)));

        Assert.Equal(4.1, _validator.Validate(4.1, At(3)).Celsius);
    }

    [Fact]
    public void Validate_SpikesThatDisagree_AreNeverBelieved()
    {
        _validator.Validate(21.5, At(0));

        Assert.Throws<SensorException>(() => _validator.Validate(60, At(1)));
        Assert.Throws<SensorException>(() => _validator.Validate(-20, At(2)));
        Assert.Throws<SensorException>(() => _validator.Validate(60, At(3)));
        Assert.Throws<SensorException>(() => _validator.Validate(-20, At(4)));
    }
}
