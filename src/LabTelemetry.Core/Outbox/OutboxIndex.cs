namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Which readings wait, oldest first, and where each is in the log: kept in memory, made from the log at start.
/// Sequence numbers ascend, with gaps where recovery stepped over damage or a reading was dropped. Not thread-safe:
/// the outbox holds its lock around every use.
/// </summary>
internal sealed class OutboxIndex
{
    // Removing from the front of a list is a copy; the oldest are cleared in place and the list compacted now and then.
    private const int CompactAfter = 1024;

    private readonly List<OutboxEntry> _entries = [];
    private int _first;

    public int Count => _entries.Count - _first;

    /// <summary>Gets the bytes the waiting readings' records take in the log.</summary>
    public long Bytes { get; private set; }

    public OutboxEntry? Oldest => Count > 0 ? _entries[_first] : null;

    public void Add(OutboxEntry entry)
    {
        _entries.Add(entry);
        Bytes += entry.Length;
    }

    public OutboxEntry RemoveOldest()
    {
        var oldest = _entries[_first];
        Bytes -= oldest.Length;
        _entries[_first++] = default;
        if (_first > CompactAfter && _first * 2 > _entries.Count)
        {
            _entries.RemoveRange(0, _first);
            _first = 0;
        }

        return oldest;
    }

    /// <summary>The first waiting reading after <paramref name="sequence"/>, or <see langword="null"/>.</summary>
    public OutboxEntry? After(long sequence)
    {
        int index = _entries.BinarySearch(_first, Count, new OutboxEntry(sequence + 1, null!, 0, 0), BySequence.Instance);
        index = index >= 0 ? index : ~index;
        return index < _entries.Count ? _entries[index] : null;
    }

    private sealed class BySequence : IComparer<OutboxEntry>
    {
        public static readonly BySequence Instance = new();

        public int Compare(OutboxEntry x, OutboxEntry y) => x.Sequence.CompareTo(y.Sequence);
    }
}

/// <summary>Where one waiting reading is in the log.</summary>
internal readonly record struct OutboxEntry(long Sequence, LogSegment Segment, long Offset, int Length)
{
    public OutboxMessage Read() =>
        OutboxRecord.Read(Segment.Read(Offset, Length), out var message, out _, out string? problem) == RecordFrame.Record
            ? message!
            : throw new IOException($"{Segment.Path}: the record of reading {Sequence} no longer reads back ({problem})");
}
