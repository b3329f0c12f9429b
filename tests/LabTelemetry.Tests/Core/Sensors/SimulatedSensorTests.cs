using LabTelemetry.Core.Sensors;
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
}
