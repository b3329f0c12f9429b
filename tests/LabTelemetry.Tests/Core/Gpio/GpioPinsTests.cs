using LabTelemetry.Core.Configuration;
using LabTelemetry.Core.Gpio;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace LabTelemetry.Tests.Core.Gpio;

/// <summary>Where the pins come from: the header's chip by its label, and what is said when there is none.</summary>
public sealed class GpioPinsTests
{
    private readonly FakeLogger<GpioPins> _logger = new();

    [Theory]
    [InlineData(null, "/dev/gpiochip4")] // a Pi 5 on an older kernel: the RP1 is chip 4
    [InlineData("gpiochip0", "/dev/gpiochip0")]
    [InlineData("/dev/gpiochip0", "/dev/gpiochip0")]
    [InlineData("pinctrl-rp1", "/dev/gpiochip4")]
    public void TheHeadersChip_IsFoundByItsLabel_OrByGpioChip(string? wanted, string path)
    {
        GpioChip[] chips = [new(0, "/dev/gpiochip0", "gpio-brcmstb@107d508500", 32), new(4, "/dev/gpiochip4", "pinctrl-rp1", 54)];

        var (chip, problem) = GpioChip.Find(wanted, chips);

        Assert.Null(problem);
        Assert.Equal(path, chip!.Path);
    }

    [Fact]
    public void NoChipTheHeaderCouldBe_IsSaid_NamingGpioChip()
    {
        var (chip, problem) = GpioChip.Find(null, [new(0, "/dev/gpiochip0", "gpio-mockup-A", 8)]);

        Assert.Null(chip);
        Assert.Equal("none of the chips is a Raspberry Pi's header (gpiochip0 (gpio-mockup-A)); set Gpio:Chip to the one to use", problem);
    }

    [Fact]
    public void NoChipAtAll_IsOneWarningPerPin_NamingItsKey()
    {
        var pins = new GpioPins(new GpioOptions(), _logger, chips: () => []);

        Assert.Null(pins.TryOpen("Led:Pin", 17, activeLow: false, restOn: false));
        Assert.Null(pins.TryOpen("Sensor:PowerPin", 22, activeLow: false, restOn: true));

        var lines = _logger.Collector.GetSnapshot();
        Assert.Equal([LogLevel.Warning, LogLevel.Warning], lines.Select(l => l.Level));
        Assert.StartsWith("Led:Pin GPIO17 is not used: no GPIO chip can be opened", lines[0].Message);
        Assert.StartsWith("Sensor:PowerPin GPIO22 is not used: no GPIO chip can be opened", lines[1].Message);
    }

    [Fact]
    public void ThisMachine_ListsOnlyTheChipsItHas()
    {
        // No /dev/gpiochip* on a build machine (no GPIO subsystem in its kernel): the list is empty, not an error.
        var chips = GpioChip.List();

        Assert.Equal(Directory.GetFiles("/dev", "gpiochip*").Length, chips.Count);
    }

    [Fact]
    public void TwoUsesOfOnePin_AreRefusedAtStart_NamingBothKeys()
    {
        var refused = Assert.Throws<ConfigurationException>(() => GpioPins.CheckDistinct(("Led:Pin", 4), ("Sensor:PowerPin", null), ("Sensor:DataPin", 4)));

        Assert.Equal("Led:Pin and Sensor:DataPin are both GPIO4; give each its own pin.", refused.Message);
        GpioPins.CheckDistinct(("Led:Pin", 17), ("Sensor:PowerPin", 22), ("Sensor:DataPin", 4));
    }
}
