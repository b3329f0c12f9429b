using LabTelemetry.Core.Sensors;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Core.Sensors;

public class SimulatedSensorTests
{
    [Fact]
    public async Task Read_IsAPlausibleRoomTemperature()
    {
        var sensor = new SimulatedSensor(new FakeTimeProvider());

        double celsius = await sensor.ReadCelsiusAsync(CancellationToken.None);

        Assert.InRange(celsius, 19.9, 23.1);
    }

    [Fact]
    public async Task Read_WithAReadTime_TakesThatLong_AsADs18b20Conversion()
    {
        var time = new FakeTimeProvider();
        var sensor = new SimulatedSensor(time, TimeSpan.FromMilliseconds(750));

        var read = sensor.ReadCelsiusAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(749));
        Assert.False(read.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.InRange(await read, 19.9, 23.1);
    }

    [Fact]
    public async Task Read_WhenTheWallClockIsStepped_StaysOnTheSameCurve()
    {
        var clock = new SteppedWallClock();
        var sensor = new SimulatedSensor(clock);
        clock.Advance(TimeSpan.FromMinutes(2.5)); // the top of the curve
        double before = await sensor.ReadCelsiusAsync(CancellationToken.None);

        clock.Step(TimeSpan.FromMinutes(5)); // half a period: the bottom, were the wall clock the curve's time

        Assert.InRange(await sensor.ReadCelsiusAsync(CancellationToken.None), before - 0.2, before + 0.2);
    }
}
