namespace LabTelemetry.Core.Outbox;

/// <summary>
/// The log's segment files, oldest first: the last takes appends until full, then a new one is made; one whose
/// readings are all acknowledged is deleted. Not thread-safe: the outbox holds its lock around every use.
/// </summary>
/// <param name="remade">What else must be made again in a directory made anew (the mark, the reservation).</param>
internal sealed partial class SegmentFiles(FileLayer files, string directory, List<LogSegment> segments, Acknowledgements acknowledgements, Action remade, TimeProvider timeProvider, ILogger logger) : IDisposable
{
    // Someone may remove the directory: what is still in the open file is sent from it, but new readings go
    // where a restart will find them.
    // How often an append looks whether its segment file is still there.
    private const int AppendsBetweenChecks = 64;
    private static readonly TimeSpan TimeBetweenChecks = TimeSpan.FromSeconds(10);

    private int _appends;
    private long _lastCheck = timeProvider.GetTimestamp();
    private bool _unreadable;

    /// <summary>The segment the next record, of <paramref name="recordLength"/> bytes and number <paramref name="sequence"/>, goes into.</summary>
    /// <exception cref="OutboxLostException">The directory was removed and cannot be made again.</exception>
    public LogSegment For(int recordLength, long sequence)
    {
        var last = segments.Count > 0 ? segments[^1] : null;
        if (last is not null && (++_appends % AppendsBetweenChecks == 0 || timeProvider.GetElapsedTime(_lastCheck) > TimeBetweenChecks))
        {
            _lastCheck = timeProvider.GetTimestamp();
            switch (Look(last.Path))
            {
                case Seen.Removed:
                    Log.Vanished(logger, last.Path);
                    return Remake(recordLength, sequence);
                case Seen.Unreadable when !_unreadable:
                    // Permissions taken away: the open file still takes appends, and nothing could be made anew there.
                    _unreadable = true;
                    Log.Unreadable(logger, directory);
                    break;
                case Seen.There when _unreadable:
                    _unreadable = false;
                    Log.Readable(logger, directory);
                    break;
            }
        }

        if (last is null || !last.HasRoomFor(recordLength))
        {
            last = LogSegment.Create(files, directory, sequence, recordLength);
            segments.Add(last);
        }

        return last;
    }

    /// <summary>The segments with records appended since their last sync, and how far each reaches now.</summary>
    public List<(LogSegment Segment, long End)> Unsynced() => [.. segments.Where(s => s.Unsynced).Select(s => (s, s.End))];

    /// <summary>Deletes every segment but the one being written whose readings are all acknowledged.</summary>
    public void DeleteSpent()
    {
        long acknowledged = acknowledgements.Acknowledged;
        while (segments.Count > 1 && segments[1].FirstSequence - 1 <= acknowledged)
        {
            // The mark first: after a power cut it must not point before readings whose segment is gone.
            acknowledgements.Set(acknowledged, flush: true);
            var spent = segments[0];
            segments.RemoveAt(0);
            try
            {
                spent.Delete();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.DeleteFailed(logger, spent.Path, ex.Message);
            }
        }
    }

    public void Dispose()
    {
        foreach (var segment in segments)
        {
            segment.Dispose();
        }
    }

    private Seen Look(string path)
    {
        try
        {
            files.Look(path);
            return Seen.There;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Seen.Removed;
        }
        catch (UnauthorizedAccessException)
        {
            return Seen.Unreadable;
        }
    }

    private LogSegment Remake(int recordLength, long sequence)
    {
        try
        {
            files.CreateDirectory(directory);
            var segment = LogSegment.Create(files, directory, sequence, recordLength);
            remade();
            segments.Add(segment);
            return segment;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A directory that cannot come back (systemd's StateDirectory removed under its bind mount): only a
            // restart makes it anew, so the service must fail, not write into nothing.
            throw new OutboxLostException(directory, ex);
        }
    }

    // What a look at the segment being written found.
    private enum Seen
    {
        There,
        Removed,
        Unreadable,
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox file {Path} was removed under us; new readings go to a new file")]
        public static partial void Vanished(ILogger logger, string path);

        [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox directory {Directory} can no longer be read (were its permissions changed?): readings still go into the file already open, but a restart cannot open the outbox until they are given back")]
        public static partial void Unreadable(ILogger logger, string directory);

        [LoggerMessage(Level = LogLevel.Information, Message = "The outbox directory {Directory} can be read again")]
        public static partial void Readable(ILogger logger, string directory);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete {Path}: {Problem}")]
        public static partial void DeleteFailed(ILogger logger, string path, string problem);
    }
}
