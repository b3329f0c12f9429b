namespace LabTelemetry.Core.Led;

/// <summary>The blink of each <see cref="LedState"/>: lit and dark steps, repeated (ESPHome's status_led timings for the faults).</summary>
public static class LedPattern
{
    /// <summary>How long the grader's answer is shown.</summary>
    public static readonly TimeSpan AnsweredFor = TimeSpan.FromSeconds(3);

    /// <summary>One heartbeat's dark blip.</summary>
    public static readonly TimeSpan Blip = TimeSpan.FromMilliseconds(100);

    /// <summary>At most one heartbeat this often, so that a backlog draining never looks like a fault.</summary>
    public static readonly TimeSpan BlipAtMostEvery = TimeSpan.FromSeconds(1);

    private static readonly (bool On, TimeSpan For)[] Fast = [(true, Ms(150)), (false, Ms(100))];
    private static readonly (bool On, TimeSpan For)[] Slow = [(true, Ms(250)), (false, Ms(1250))];
    private static readonly (bool On, TimeSpan For)[] Double = [(true, Ms(100)), (false, Ms(100)), (true, Ms(100)), (false, Ms(700))];

    /// <summary>The repeated steps of a blinking state; empty for the steady ones (<see cref="LedState.Connected"/>, <see cref="LedState.Stopped"/>).</summary>
    public static (bool On, TimeSpan For)[] Steps(LedState state) => state switch
    {
        LedState.SensorFault => Fast,
        LedState.NoBroker => Slow,
        LedState.Answered => Double,
        _ => [],
    };

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
}
