namespace LabTelemetry.Worker.Telemetry;

internal static partial class TelemetryLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Publishing to {Topic} every {Interval} (interface {Interface}, MAC {Mac})")]
    public static partial void Starting(ILogger logger, string topic, TimeSpan interval, string @interface, string mac);

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Payload} to {Topic}")]
    public static partial void Published(ILogger logger, string topic, Utf8Text payload);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping publishes to {Topic}: no valid reading younger than {MaxAge}; see the sensor's error above")]
    public static partial void SkippingStale(ILogger logger, string topic, TimeSpan maxAge);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fresh readings again after {Skipped} skipped tick(s)")]
    public static partial void FreshAgain(ILogger logger, int skipped);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot write readings to the outbox {Directory}: {Problem}; they are lost until this is fixed")]
    public static partial void OutboxWriteFailed(ILogger logger, string directory, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Readings wait in the outbox ({Waiting} so far): {Problem}")]
    public static partial void Waiting(ILogger logger, int waiting, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sending {Backlog} buffered reading(s) in order")]
    public static partial void Draining(ILogger logger, int backlog);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivered {Delivered} buffered reading(s) in {Seconds:0.##} s")]
    public static partial void Drained(ILogger logger, int delivered, double seconds);
}
