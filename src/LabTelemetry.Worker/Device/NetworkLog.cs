namespace LabTelemetry.Worker.Device;

internal static partial class NetworkLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Network: {Interface} is {State}, {Addresses}, MAC {Mac}")]
    public static partial void State(ILogger logger, string @interface, string state, string addresses, string mac);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Network: {Interface} does not exist (yet); check `nmcli device status`")]
    public static partial void Missing(ILogger logger, string @interface);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Network: cannot read {Interface}: {Problem}")]
    public static partial void Unreadable(ILogger logger, string @interface, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Network: the MAC of {Interface} is now {Now}, but the topic uses {Topic}: NetworkManager randomises it unless told not to (README, \"Keep the MAC stable\"); restart the service to follow it")]
    public static partial void MacChanged(ILogger logger, string @interface, string topic, string now);
}
