namespace LabTelemetry.Core.Sensors;

/// <summary>A temperature that passed validation, and when it was taken on both clocks.</summary>
/// <param name="Celsius">The temperature.</param>
/// <param name="TakenAt">The wall-clock time, for what is shown and sent (<c>taken-at</c>); NTP may step it by days.</param>
/// <param name="Timestamp">The monotonic <see cref="TimeProvider.GetTimestamp"/> at the read, for ages and rates.</param>
public sealed record SensorReading(double Celsius, DateTimeOffset TakenAt, long Timestamp);
