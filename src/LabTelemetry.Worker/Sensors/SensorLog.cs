using LabTelemetry.Core.Sensors;

namespace LabTelemetry.Worker.Sensors;

internal static partial class SensorLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Reading sensor {Sensor} every {ReadInterval}")]
    public static partial void Reading(ILogger logger, string sensor, TimeSpan readInterval);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sensor {Sensor} reads {Celsius:0.###} °C")]
    public static partial void FirstReading(ILogger logger, string sensor, double celsius);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sensor {Sensor}: {Fault}: {Detail}")]
    public static partial void Fault(ILogger logger, string sensor, SensorFault fault, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sensor {Sensor} reads again: {Celsius:0.###} °C after {FailedReads} failed read(s)")]
    public static partial void Recovered(ILogger logger, string sensor, double celsius, int failedReads);
}
