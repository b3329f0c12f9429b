using LabTelemetry.Core.Sensors;

namespace LabTelemetry.Tests.Core.Sensors;

public class W1SlaveContentsTests
{
    [Fact]
    public void Parse_GoodRead_GivesTemperatureAndValidCrc()
    {
        var text = W1SlaveContents.Parse("72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n");

        Assert.True(text.CrcValid);
        Assert.Equal(23.125, text.Celsius);
        Assert.Equal(0x7f, text.Scratchpad[4]);
        Assert.False(text.IsAllZero);
    }

    [Fact]
    public void Parse_CrcNo_IsReportedAsInvalid()
    {
        var text = W1SlaveContents.Parse("72 01 4b 46 7f ff 0e 10 58 : crc=57 NO\n72 01 4b 46 7f ff 0e 10 58 t=23125\n");

        Assert.False(text.CrcValid);
    }

    [Fact]
    public void Parse_PowerOnReset_Reads85()
    {
        var text = W1SlaveContents.Parse("50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n");

        Assert.Equal(85.0, text.Celsius);
    }

    [Fact]
    public void Parse_Negative_KeepsTheSign()
    {
        var text = W1SlaveContents.Parse("90 f8 4b 46 7f ff 0c 10 2e : crc=2e YES\n90 f8 4b 46 7f ff 0c 10 2e t=-127000\n");

        Assert.Equal(-127.0, text.Celsius);
    }

    [Fact]
    public void Parse_AllZeroScratchpad_PassesCrcButIsFlagged()
    {
        var text = W1SlaveContents.Parse("00 00 00 00 00 00 00 00 00 : crc=00 YES\n00 00 00 00 00 00 00 00 00 t=0\n");

        Assert.True(text.CrcValid);
        Assert.True(text.IsAllZero);
        Assert.Equal(0, text.Celsius);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n")]
    [InlineData("72 01 4b 46 7f ff 0e 10 57 : crc=57 MAYBE\n72 01 4b 46 7f ff 0e 10 57 t=23125\n")]
    [InlineData("72 01 4b 46 7f ff 0e 10 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 t=23125\n")]
    [InlineData("zz 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n")]
    [InlineData("72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=abc\n")]
    [InlineData("72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57\n")]
    public void Parse_Garbage_ThrowsFormatException(string garbage)
    {
        Assert.Throws<FormatException>(() => W1SlaveContents.Parse(garbage));
    }
}
