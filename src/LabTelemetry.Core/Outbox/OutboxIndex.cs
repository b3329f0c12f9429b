namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Which readings wait, oldest first, and where each is in the log: kept in memory, made from the log at start;
/// sequence numbers ascend, with gaps. Not thread-safe: the outbox holds its lock around every use.
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

    /// <summary>Gets how many of them are held in memory.</summary>
    public int Held { get; private set; }

    public OutboxEntry? Oldest => Count > 0 ? _entries[_first] : null;

    /// <summary>Gets the number of the newest waiting reading that is in the log (not held in memory), or <see langword="null"/>.</summary>
    public long? NewestInLog
    {
        get
        {
            for (int i = _entries.Count - 1; i >= _first; i--)
            {
                if (_entries[i].Held is null)
                {
                    return _entries[i].Sequence;
                }
            }

            return null;
        }
    }

    public void Add(OutboxEntry entry)
    {
        _entries.Add(entry);
        Bytes += entry.Length;
        Held += entry.Held is null ? 0 : 1;
    }

    public OutboxEntry RemoveOldest()
    {
        var oldest = _entries[_first];
        Bytes -= oldest.Length;
        Held -= oldest.Held is null ? 0 : 1;
        _entries[_first++] = default;
        if (_first > CompactAfter && _first * 2 > _entries.Count)
        {
            _entries.RemoveRange(0, _first);
            _first = 0;
        }

        return oldest;
    }

    /// <summary>
    /// Puts each reading held in memory where <paramref name="write"/> wrote it into the log, oldest first. Those held
    /// are the newest: once the log could not be written, nothing after them was written either.
    /// </summary>
    public void WriteHeld(Func<OutboxEntry, OutboxEntry> write)
    {
        int held = _entries.Count;
        while (held > _first && _entries[held - 1].Held is not null)
        {
            held--;
        }

        for (int i = held; i < _entries.Count; i++)
        {
            _entries[i] = write(_entries[i]);
            Held--;
        }
    }

    /// <summary>Drops the oldest reading held in memory (none waits on disk after it); its number stays unused.</summary>
    public void DropOldestHeld()
    {
        int oldest = _entries.Count - 1;
        while (oldest > _first && _entries[oldest - 1].Held is not null)
        {
            oldest--;
        }

        Bytes -= _entries[oldest].Length;
        Held--;
        _entries.RemoveAt(oldest);
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

/// <summary>Where one waiting reading is: in the log, or held in memory while the log cannot be written.</summary>
/// <param name="Length">The bytes of its record, on disk or as it will be.</param>
internal readonly record struct OutboxEntry(long Sequence, LogSegment? Segment, long Offset, int Length, OutboxMessage? Held = null)
{
    /// <summary>The record's bytes, as the log holds them (or will).</summary>
    public byte[] Record() => Segment?.Read(Offset, Length) ?? OutboxRecord.Encode(Held!);

    public OutboxMessage Read() =>
        Held ?? (OutboxRecord.Read(Segment!.Read(Offset, Length), out var message, out _, out string? problem) == RecordFrame.Record
            ? message!
            : throw new IOException($"{Segment.Path}: the record of reading {Sequence} no longer reads back ({problem})"));
}
