namespace LabTelemetry.Core.Resilience;

/// <summary>
/// The house's one pace for trying again: capped exponential backoff with jitter, counting failures until a success
/// that held. Reconnects, refused publishes and the thermometer's power cycle all wait by it.
/// </summary>
/// <param name="first">The delay after the first failure.</param>
/// <param name="cap">The longest delay.</param>
/// <param name="stableAfter">
/// How long a success must hold before the count starts again: a connection a twin with our client id takes over
/// within seconds was no success. Zero: every success counts.
/// </param>
/// <param name="random">Draws the jitter, uniform in [0, 1): <see cref="Random.Shared"/> unless a test fixes it.</param>
public sealed class Backoff(TimeSpan first, TimeSpan cap, TimeSpan stableAfter = default, Func<double>? random = null)
{
    /// <summary>Each delay is drawn from this share either side of its step, so that devices failing together spread out.</summary>
    public const double Jitter = 0.2;

    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;

    public TimeSpan First { get; } = first;

    public TimeSpan Cap { get; } = cap;

    /// <summary>Gets how many failures in a row were counted since the last success that held.</summary>
    public int Failures { get; private set; }

    /// <summary>The step after <paramref name="failures"/> failures in a row, before jitter: <see cref="First"/> doubled each time, capped.</summary>
    public TimeSpan Step(int failures) =>
        failures <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(Cap.Ticks, First.Ticks << Math.Min(failures - 1, 30)));

    /// <summary>Counts one more failure and returns how long to wait before the next try.</summary>
    public TimeSpan NextDelay()
    {
        Failures++;
        var jittered = Step(Failures) * (1 - Jitter + (2 * Jitter * _random()));
        return jittered > Cap ? Cap : jittered;
    }

    /// <summary>A success: the count starts again (for a backoff whose successes need not hold).</summary>
    public void Reset() => Failures = 0;

    /// <summary>A success that held for <paramref name="lasted"/>; the count starts again only when that is long enough.</summary>
    /// <returns><see langword="true"/> when the count started again.</returns>
    public bool Succeeded(TimeSpan lasted)
    {
        if (lasted < stableAfter)
        {
            return false;
        }

        Reset();
        return true;
    }
}
