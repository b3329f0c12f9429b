using Iot.Device.OneWire;
using LabTelemetry.Core.Health;
using LabTelemetry.Core.Sensors;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Core.Sensors;

/// <summary>
/// The DS18B20 as the kernel's w1_therm shows it: every read of <c>w1_slave</c> is one temperature conversion, and a
/// read can block in the kernel for good (no token stops it). The 1-Wire bus itself is in Ds18b20OverFakeSysfsTests.
/// </summary>
public sealed class Ds18b20SensorTests
{
    private const string Room = "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n";
    private const string Freezing = "00 00 4b 46 7f ff 10 10 e8 : crc=e8 YES\n00 00 4b 46 7f ff 10 10 e8 t=0\n";
    private const string AllZero = "00 00 00 00 00 00 00 00 00 : crc=00 YES\n00 00 00 00 00 00 00 00 00 t=0\n";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(3);

    private readonly FakeTimeProvider _time = new();
    private readonly FakeLogger<SensorReader> _logger = new();
    private readonly W1SlaveFile _w1Slave = new();
    private readonly Ds18b20Sensor _sensor;

    public Ds18b20SensorTests() => _sensor = new Ds18b20Sensor(
        new SensorOptions { ReadTimeout = ReadTimeout },
        _time,
        () => [new OneWireThermometerDevice("w1_bus_master1", "28-00000a1b2c3d")],
        _w1Slave.ReadAsync);

    private SensorReader Reader() => new(
        _sensor,
        new LatestReading(),
        Options.Create(new SensorOptions { ReadTimeout = ReadTimeout }),
        Interval,
        new Liveness(_time),
        _time,
        _logger);

    [Fact]
    public async Task Read_RoomTemperature_IsOneConversion()
    {
        Assert.Equal(23.125, await _sensor.ReadCelsiusAsync(CancellationToken.None));
        Assert.Equal(1, _w1Slave.Reads);
    }

    [Theory]
    [InlineData("")] // LABTELEMETRY_Sensor__Id= : set, but to nothing
    [InlineData("28-00000A1B2C3D")]
    public async Task AnEmptySensorId_MeansTheOneThermometer_AndAnIdMatchesInAnyCase(string id)
    {
        var sensor = new Ds18b20Sensor(
            new SensorOptions { Id = id, ReadTimeout = ReadTimeout },
            _time,
            () => [new OneWireThermometerDevice("w1_bus_master1", "28-00000a1b2c3d")],
            _w1Slave.ReadAsync);

        Assert.Equal(23.125, await sensor.ReadCelsiusAsync(CancellationToken.None));
        Assert.Equal("28-00000a1b2c3d", sensor.Name);
    }

    [Fact]
    public async Task Read_AtExactlyZeroDegrees_IsOneConversion()
    {
        _w1Slave.Text = Freezing;

        Assert.Equal(0, await _sensor.ReadCelsiusAsync(CancellationToken.None));
        Assert.Equal(1, _w1Slave.Reads);
    }

    [Fact]
    public async Task Read_AllZeroScratchpad_IsStuckLow_FromThatSameConversion_EvenWhenTheNextReadWouldHang()
    {
        _w1Slave.Text = AllZero;
        _w1Slave.BlockAfter(reads: 1);

        // Real time only as a limit for a test that would otherwise hang: the read must end by itself.
        var ex = await Assert.ThrowsAsync<SensorException>(() => _sensor.ReadCelsiusAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(SensorFault.StuckLow, ex.Fault);
        Assert.Equal(1, _w1Slave.Reads);
    }

    [Fact]
    public async Task Read_CrcNo_IsACrcError()
    {
        _w1Slave.Text = Room.Replace("YES", "NO", StringComparison.Ordinal);

        var ex = await Assert.ThrowsAsync<SensorException>(() => _sensor.ReadCelsiusAsync(CancellationToken.None));

        Assert.Equal(SensorFault.CrcError, ex.Fault);
    }

    [Fact]
    public async Task Read_WhenTheThermometerIsGone_IsMissing()
    {
        _w1Slave.Gone = true;

        var ex = await Assert.ThrowsAsync<SensorException>(() => _sensor.ReadCelsiusAsync(CancellationToken.None));

        Assert.Equal(SensorFault.Missing, ex.Fault);
    }

    [Fact]
    public async Task Reading_WhileAReadHangsForAHundredIntervals_KeepsOneReadInFlight_ReportsItOnce_ThenRecovers()
    {
        var reader = Reader();
        _w1Slave.BlockAfter(reads: 0);

        for (int tick = 0; tick < 100; tick++)
        {
            var reading = reader.ReadOnceAsync(CancellationToken.None);
            if (tick == 0)
            {
                // The read runs on the thread pool: let it reach the kernel (and block there) before time moves on.
                Assert.True(await Eventually.TrueAsync(() => _w1Slave.InFlight == 1));
            }

            _time.Advance(Interval);
            await reading;
        }

        Assert.Equal(1, _w1Slave.Reads);
        Assert.Equal(1, _w1Slave.MostInFlight);
        var faults = _logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Error).Select(r => r.Message).ToList();
        Assert.Collection(
            faults,
            timeout => Assert.Contains("Timeout", timeout, StringComparison.Ordinal),
            hung => Assert.Contains("Hung", hung, StringComparison.Ordinal));

        // The kernel lets go at last: the next tick reads again.
        _w1Slave.Release();
        Assert.True(await Eventually.TrueAsync(() => _w1Slave.InFlight == 0));
        await reader.ReadOnceAsync(CancellationToken.None);

        Assert.Equal(2, _w1Slave.Reads);
        Assert.Contains("reads again: 23.125 °C after 100 failed read(s)", _logger.LatestRecord.Message, StringComparison.Ordinal);
    }

    /// <summary>The w1_slave file: counts reads (conversions) and the reads still blocked, and can block like a hung bus.</summary>
    private sealed class W1SlaveFile
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;
        private int _inFlight;
        private int _mostInFlight;
        private int _blockAfter = int.MaxValue;

        public string Text { get; set; } = Room;

        public bool Gone { get; set; }

        public int Reads => Volatile.Read(ref _reads);

        public int InFlight => Volatile.Read(ref _inFlight);

        public int MostInFlight => Volatile.Read(ref _mostInFlight);

        /// <summary>Every read after the first <paramref name="reads"/> blocks until <see cref="Release"/>.</summary>
        public void BlockAfter(int reads) => _blockAfter = reads;

        public void Release() => _released.TrySetResult();

        // Ignores the token, as a read blocked in the kernel does.
        public async Task<string> ReadAsync(string path, CancellationToken _)
        {
            Assert.Equal("/sys/devices/w1_bus_master1/28-00000a1b2c3d/w1_slave", path);
            int read = Interlocked.Increment(ref _reads);
            int inFlight = Interlocked.Increment(ref _inFlight);
            InterlockedMax(ref _mostInFlight, inFlight);
            try
            {
                if (read > _blockAfter)
                {
                    await _released.Task;
                }

                return Gone ? throw new FileNotFoundException("gone", path) : Text;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        private static void InterlockedMax(ref int location, int value)
        {
            int current;
            while (value > (current = Volatile.Read(ref location)) && Interlocked.CompareExchange(ref location, value, current) != current)
            {
            }
        }
    }
}
