using Microsoft.Extensions.Logging;

namespace LabTelemetry.Core.Outbox;

internal static partial class OutboxLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox {Directory}: {Count} reading(s) waiting from before")]
    public static partial void Opened(ILogger logger, string directory, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox full ({MaxMessages} readings, Outbox:MaxMessages): dropping the oldest; {Dropped} dropped so far")]
    public static partial void Dropped(ILogger logger, int maxMessages, long dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping a damaged outbox record {Path}: {Problem} (torn by a power cut?)")]
    public static partial void Corrupt(ILogger logger, string path, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete outbox record {Path}: {Problem}")]
    public static partial void DeleteFailed(ILogger logger, string path, string problem);
}
