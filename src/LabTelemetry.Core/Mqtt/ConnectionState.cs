namespace LabTelemetry.Core.Mqtt;

/// <summary>Where the one MQTT connection stands; <see cref="ConnectionStateMachine"/> alone moves it.</summary>
public enum ConnectionState
{
    /// <summary>Not connected: before the first connect, after a drop, while the supervisor reconnects.</summary>
    Connecting,

    /// <summary>Connected and, as far as we know, answering: publishers may send.</summary>
    Connected,

    /// <summary>Connected, but a publish went unanswered or was refused: the supervisor pings now, not at its next check.</summary>
    Unhealthy,

    /// <summary>Saying goodbye; final.</summary>
    Stopping,
}
