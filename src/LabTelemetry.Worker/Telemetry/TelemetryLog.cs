namespace LabTelemetry.Worker.Telemetry;

internal static partial class TelemetryLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Publishing to {Topic} every {Interval} (interface {Interface}, MAC {Mac})")]
    public static partial void Starting(ILogger logger, string topic, TimeSpan interval, string @interface, string mac);

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Payload} to {Topic}")]
    public static partial void Published(ILogger logger, string topic, string payload);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping publishes to {Topic}: no valid reading younger than {MaxAge}; see the sensor's error above")]
    public static partial void SkippingStale(ILogger logger, string topic, TimeSpan maxAge);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fresh readings again after {Skipped} skipped tick(s)")]
    public static partial void FreshAgain(ILogger logger, int skipped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Readings for {Topic} are not being delivered: {Problem}")]
    public static partial void NotDelivered(ILogger logger, string topic, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivering again after {Undelivered} undelivered reading(s)")]
    public static partial void DeliveringAgain(ILogger logger, int undelivered);
}
