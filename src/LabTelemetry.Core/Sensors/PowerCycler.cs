using LabTelemetry.Core.Gpio;
using LabTelemetry.Core.Resilience;

namespace LabTelemetry.Core.Sensors;

/// <summary>
/// Switches the thermometer's supply (<c>Sensor:PowerPin</c>) off and on again after <c>Sensor:PowerCycleAfter</c>
/// failed reads in a row that a power cycle can cure, at most once a minute and less often while cycles do not help.
/// </summary>
/// <param name="spacing">The pace of cycles that did not help; its first step is the once-a-minute floor's.</param>
internal sealed partial class PowerCycler(OutputPin pin, int cycleAfter, Backoff spacing, TimeProvider timeProvider, ILogger<PowerCycler> logger) : IDisposable
{
    /// <summary>Off this long: a DS18B20's supply capacitor and the pull-up drain well within it.</summary>
    public static readonly TimeSpan OffFor = TimeSpan.FromSeconds(1);

    /// <summary>The kernel's w1 bus master searches every 10 s; two searches give a slow bus a second chance.</summary>
    public static readonly TimeSpan SearchWait = TimeSpan.FromSeconds(21);

    /// <summary>Never two cycles closer than this, whatever the backoff draws.</summary>
    public static readonly TimeSpan AtMostEvery = TimeSpan.FromMinutes(1);

    private readonly object _lock = new();
    private int _failedInARow;
    private long _lastCycle;
    private TimeSpan _gap;
    private bool _hadCycle;
    private TaskCompletionSource _readsAgain = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets the cycle under way, or the last one: for a test to wait on.</summary>
    internal Task Current { get; private set; } = Task.CompletedTask;

    public static bool Cures(SensorFault fault) =>
        fault is SensorFault.Missing or SensorFault.NoThermometer or SensorFault.CrcError or SensorFault.StuckLow or SensorFault.Timeout;

    /// <summary>A good read: the count starts again, and a cycle waiting for the thermometer has its outcome.</summary>
    public void ReportGood()
    {
        lock (_lock)
        {
            _failedInARow = 0;
            _readsAgain.TrySetResult();
        }
    }

    /// <summary>A failed read; one that a cycle can cure, the last of enough in a row, starts a cycle (in the background).</summary>
    public void ReportFault(SensorFault fault, CancellationToken stoppingToken)
    {
        lock (_lock)
        {
            if (!Cures(fault))
            {
                return;
            }

            _failedInARow++;
            if (_failedInARow < cycleAfter || !Current.IsCompleted || (_hadCycle && timeProvider.GetElapsedTime(_lastCycle) < _gap))
            {
                return;
            }

            TimeSpan drawn = spacing.NextDelay();
            _gap = drawn > AtMostEvery ? drawn : AtMostEvery;
            _lastCycle = timeProvider.GetTimestamp();
            _hadCycle = true;
            _failedInARow = 0;
            _readsAgain = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Current = CycleAsync(fault, _readsAgain.Task, _gap, stoppingToken);
        }
    }

    public void Dispose() => pin.Dispose();

    private async Task CycleAsync(SensorFault fault, Task readsAgain, TimeSpan next, CancellationToken stoppingToken)
    {
        long started = timeProvider.GetTimestamp();
        try
        {
            pin.Set(false);
            await Task.Delay(OffFor, timeProvider, stoppingToken).ConfigureAwait(false);
            pin.Set(true);
            await readsAgain.WaitAsync(SearchWait, timeProvider, stoppingToken).ConfigureAwait(false);
            spacing.Reset();
            Log.Recovered(logger, pin.Pin, fault, timeProvider.GetElapsedTime(started).TotalSeconds);
        }
        catch (TimeoutException)
        {
            Log.NotRecovered(logger, pin.Pin, fault, SearchWait.TotalSeconds, next.TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the pin is left on by Dispose.
        }
        catch (IOException ex)
        {
            Log.Failed(logger, pin.Pin, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Power-cycled the thermometer (Sensor:PowerPin GPIO{Pin}) after {Fault}: it reads again, {Seconds:0.#} s after its supply went off")]
        public static partial void Recovered(ILogger logger, int pin, SensorFault fault, double seconds);

        [LoggerMessage(Level = LogLevel.Error, Message = "Power-cycled the thermometer (Sensor:PowerPin GPIO{Pin}) after {Fault}: still no reading {Waited:0} s after power came back; next cycle in {Next:0} s at the earliest. Check its wiring")]
        public static partial void NotRecovered(ILogger logger, int pin, SensorFault fault, double waited, double next);

        [LoggerMessage(Level = LogLevel.Error, Message = "Power cycle of the thermometer (Sensor:PowerPin GPIO{Pin}) failed: {Problem}")]
        public static partial void Failed(ILogger logger, int pin, string problem);
    }
}
