using System.Collections.Concurrent;

namespace LabTelemetry.Core.Health;

/// <summary>
/// The loops that must keep moving for the service to count as alive; each reports progress with
/// <see cref="Beat"/> and says how long it may go quiet. The watchdog is fed only while every one of them is fresh.
/// </summary>
internal sealed class Liveness(TimeProvider timeProvider)
{
    // Monotonic timestamps: a Pi has no RTC, and NTP stepping its wall clock by days must neither fake a stall nor hide one.
    private readonly ConcurrentDictionary<string, (long Last, TimeSpan MaxQuiet)> _loops = new();

    /// <summary>Declares a loop that is expected to beat at least every <paramref name="maxQuiet"/>.</summary>
    public void Expect(string loop, TimeSpan maxQuiet) => _loops[loop] = (timeProvider.GetTimestamp(), maxQuiet);

    public void Beat(string loop)
    {
        if (_loops.TryGetValue(loop, out var entry))
        {
            _loops[loop] = (timeProvider.GetTimestamp(), entry.MaxQuiet);
        }
    }

    /// <summary>Returns the first loop that has been quiet too long, with how long, or <see langword="null"/> when all are alive.</summary>
    public (string Loop, TimeSpan Quiet)? FirstStalled()
    {
        foreach (var (loop, (last, maxQuiet)) in _loops)
        {
            var quiet = timeProvider.GetElapsedTime(last);
            if (quiet > maxQuiet)
            {
                return (loop, quiet);
            }
        }

        return null;
    }
}
