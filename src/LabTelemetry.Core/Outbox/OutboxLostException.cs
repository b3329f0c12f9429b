namespace LabTelemetry.Core.Outbox;

/// <summary>The outbox directory was removed and cannot be made again while we run: the service stops, so systemd starts it anew.</summary>
public sealed class OutboxLostException(string directory, Exception inner)
    : Exception($"the outbox directory {directory} was removed and cannot be made again: {inner.Message}", inner);
