namespace LabTelemetry.Core.Sensors;

/// <summary>
/// A room that warms and cools by ±1.5 °C around 21.5 °C every ten minutes, with a little noise.
/// Only ever used when <c>Sensor:Kind</c> is <c>Simulated</c>: fake data must never reach the grader by accident.
/// </summary>
public sealed class SimulatedSensor(TimeProvider timeProvider, TimeSpan readTime = default) : ITemperatureSensor
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(10);
    private readonly long _start = timeProvider.GetTimestamp();

    public string Name => "simulated";

    public async Task<double> ReadCelsiusAsync(CancellationToken cancellationToken)
    {
        if (readTime > TimeSpan.Zero)
        {
            await Task.Delay(readTime, timeProvider, cancellationToken).ConfigureAwait(false);
        }

        // The monotonic clock: a wall clock stepped by NTP would make the simulated room jump.
        double phase = timeProvider.GetElapsedTime(_start) / Period * 2 * Math.PI;
#pragma warning disable CA5394 // Noise for a simulated room, not security.
        double noise = (Random.Shared.NextDouble() - 0.5) * 0.1;
#pragma warning restore CA5394
        return 21.5 + (1.5 * Math.Sin(phase)) + noise;
    }
}
