namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Opening the log after a stop, a crash or a power cut: spent segments deleted unread, the rest read record by
/// record and a torn tail cut, files that are not ours named once and left alone.
/// </summary>
internal static partial class OutboxRecovery
{
    /// <summary>What the log holds: its segments, oldest first, the readings that wait in them, and the next number.</summary>
    public sealed record Recovered(List<LogSegment> Segments, List<OutboxEntry> Waiting, long NextSequence);

    /// <param name="ours">Names in the directory that belong to the outbox but are no segment (the mark, the rejected store).</param>
    public static Recovered Run(FileLayer files, string directory, long acknowledged, IReadOnlySet<string> ours, ILogger logger)
    {
        long last = acknowledged;
        var named = new List<(long First, string Path)>();
        var foreign = new List<string>();
        foreach (string path in files.Entries(directory))
        {
            string name = Path.GetFileName(path);
            if (SegmentName.TryParse(name, out long first))
            {
                named.Add((first, path));
            }
            else if (SegmentName.IsUnfinished(name))
            {
                TryDelete(files, path, logger); // a segment the power cut in the making: it never held a reading
            }
            else if (!ours.Contains(name))
            {
                foreign.Add(name);
            }
        }

        // Ours by their header, not their name alone: a file that only looks like a segment, a directory, or a file
        // we may not read named like one, is not ours either.
        var segments = new List<LogSegment>();
        foreach (var (first, path) in named.OrderBy(f => f.First).ThenBy(f => f.Path, StringComparer.Ordinal))
        {
            if (TryOpen(files, path, first) is { } segment)
            {
                segments.Add(segment);
            }
            else
            {
                foreign.Add(Path.GetFileName(path));
            }
        }

        var kept = new List<LogSegment>();
        var waiting = new List<OutboxEntry>();
        for (int i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];

            // Spent (the next segment starts at or before the mark): deleted unread, so a restart costs the unacknowledged tail.
            if (i + 1 < segments.Count && segments[i + 1].FirstSequence - 1 <= acknowledged)
            {
                last = Math.Max(last, segments[i + 1].FirstSequence - 1);
                try
                {
                    segment.Delete();
                }
                catch (IOException ex)
                {
                    Log.DeleteFailed(logger, segment.Path, ex.Message);
                }

                continue;
            }

            string? damage = SegmentScanner.Scan(segment, (message, offset, length) =>
            {
                last = Math.Max(last, message.Sequence);
                if (message.Sequence > acknowledged)
                {
                    waiting.Add(new OutboxEntry(message.Sequence, segment, offset, length));
                }
            });
            if (damage is not null)
            {
                Log.Damaged(logger, segment.Path, damage);
            }

            kept.Add(segment);
        }

        if (foreign.Count > 0)
        {
            Log.Foreign(logger, directory, string.Join(", ", foreign.Order(StringComparer.Ordinal)));
        }

        return new Recovered(kept, waiting, last + 1);
    }

    private static LogSegment? TryOpen(FileLayer files, string path, long first)
    {
        try
        {
            return LogSegment.Open(files, path, first);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TryDelete(FileLayer files, string path, ILogger logger)
    {
        try
        {
            files.Delete(path);
        }
        catch (IOException ex)
        {
            Log.DeleteFailed(logger, path, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Damage in the outbox log {Path}: {Problem} (a power cut?)")]
        public static partial void Damaged(ILogger logger, string path, string problem);

        [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox directory {Directory} holds files that are not the outbox's; left alone: {Files}")]
        public static partial void Foreign(ILogger logger, string directory, string files);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete {Path}: {Problem}")]
        public static partial void DeleteFailed(ILogger logger, string path, string problem);
    }
}
