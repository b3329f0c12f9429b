namespace LabTelemetry.Core.Led;

/// <summary>What the status LED shows, in order: of those that hold, the last (the worst) is shown.</summary>
public enum LedState
{
    /// <summary>The service is not running: off.</summary>
    Stopped,

    /// <summary>Connected to the broker: steady on, with a short dark blip per acknowledged reading, at most one a second.</summary>
    Connected,

    /// <summary>The grader just answered our group on RESULT: two short flashes a second, for a few seconds.</summary>
    Answered,

    /// <summary>No broker (or no network to reach it): a slow blink, 250 ms every 1.5 s.</summary>
    NoBroker,

    /// <summary>The thermometer's last read failed: a fast blink, 150 ms every 250 ms.</summary>
    SensorFault,
}
