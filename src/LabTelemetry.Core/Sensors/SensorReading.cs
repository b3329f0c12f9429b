namespace LabTelemetry.Core.Sensors;

/// <summary>A temperature that passed validation, and when it was taken.</summary>
public sealed record SensorReading(double Celsius, DateTimeOffset TakenAt);
