namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Opening the log after a stop, a crash or a power cut: spent segments deleted unread, the rest read record by
/// record and a torn tail cut, files that are not ours named once, readings of the former format moved in.
/// </summary>
public sealed partial class DiskOutbox
{
    private void Recover()
    {
        long acknowledged = _mark.Acknowledged;
        long last = acknowledged;
        var found = new List<(long First, string Path)>();
        var legacy = new List<string>();
        var foreign = new List<string>();
        foreach (string path in System.IO.Directory.EnumerateFileSystemEntries(Directory))
        {
            string name = Path.GetFileName(path);
            if (LogSegment.TryParseName(name, out long first))
            {
                found.Add((first, path));
            }
            else if (name.EndsWith(".msg", StringComparison.Ordinal) || name.EndsWith(".msg.tmp", StringComparison.Ordinal))
            {
                legacy.Add(path);
            }
            else if (name.StartsWith("outbox-", StringComparison.Ordinal) && name.EndsWith(LogSegment.AsideSuffix, StringComparison.Ordinal))
            {
                TryDelete(path); // a segment the power cut in the making: it never held a reading
            }
            else if (name is not (AckMark.FileName or RejectedDirectory))
            {
                foreign.Add(name);
            }
        }

        // Ours by their header, not their name alone: a file that only looks like a segment is left alone.
        var ours = new List<LogSegment>();
        foreach (var (first, path) in found.OrderBy(f => f.First).ThenBy(f => f.Path, StringComparer.Ordinal))
        {
            // A directory, or a file we may not read, named like a segment is not ours either.
            if (TryOpen(path, first) is { } segment)
            {
                ours.Add(segment);
            }
            else
            {
                foreign.Add(Path.GetFileName(path));
            }
        }

        for (int i = 0; i < ours.Count; i++)
        {
            var segment = ours[i];

            // Spent (the next segment starts at or before the mark): deleted unread, so a restart costs the unacknowledged tail.
            if (i + 1 < ours.Count && ours[i + 1].FirstSequence - 1 <= acknowledged)
            {
                last = Math.Max(last, ours[i + 1].FirstSequence - 1);
                try
                {
                    segment.Delete();
                }
                catch (IOException ex)
                {
                    Log.DeleteFailed(_logger, segment.Path, ex.Message);
                }

                continue;
            }

            string? cut = segment.Scan((message, offset, length) =>
            {
                last = Math.Max(last, message.Sequence);
                if (message.Sequence > acknowledged)
                {
                    _entries.Add(new Entry(message.Sequence, segment, offset, length));
                    _bytes += length;
                }
            });
            if (cut is not null)
            {
                Log.Cut(_logger, segment.Path, cut);
            }

            _segments.Add(segment);
        }

        _nextSequence = last + 1;
        ImportLegacy(legacy, foreign);
        if (foreign.Count > 0)
        {
            Log.Foreign(_logger, Directory, string.Join(", ", foreign.Order(StringComparer.Ordinal)));
        }

        Log.Opened(_logger, Directory, Count, _nextSequence);
    }

    private static LogSegment? TryOpen(string path, long first)
    {
        try
        {
            return LogSegment.Open(path, first);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Readings that waited in the one-file-per-reading format of earlier versions: appended in their order, then
    // removed. A .msg that is no such record is not ours to delete; a .msg.tmp never held a reading reported safe.
    private void ImportLegacy(List<string> files, List<string> foreign)
    {
        foreach (string path in files.Order(StringComparer.Ordinal))
        {
            bool unfinished = path.EndsWith(".tmp", StringComparison.Ordinal);
            OutboxMessage? message = null;
            try
            {
                if (!unfinished && new FileInfo(path).Length <= OutboxRecord.MaxBodyBytes)
                {
                    message = OutboxRecord.ReadLegacy(File.ReadAllBytes(path));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                message = null;
            }

            if (message is null && !unfinished)
            {
                foreign.Add(Path.GetFileName(path));
                continue;
            }

            if (message is not null)
            {
                lock (_gate)
                {
                    AppendLocked(message, durable: true);
                }
            }

            TryDelete(path);
        }
    }
}
