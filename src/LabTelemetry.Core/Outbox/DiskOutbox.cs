using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Store-and-forward on disk as an append-only log: each reading is one append (and, with <c>Outbox:Durable</c>, one
/// <c>fdatasync</c>) to a segment file before it is published; acknowledgements move a mark; a segment is deleted
/// once all of it is acknowledged. No file is created, renamed or removed per reading. Survives broker outages,
/// link drops, <c>kill -9</c> and power cuts; bounded by <c>Outbox:MaxMessages</c> and <c>Outbox:MaxBytes</c>,
/// dropping the oldest first. Sequence numbers run on for the device's life. One producer, one consumer.
/// </summary>
public sealed partial class DiskOutbox : IDisposable
{
    public const string RejectedDirectory = "rejected";

    /// <summary>Where readings the broker will never take are kept, records of the log's own format one after another.</summary>
    public const string RejectedFile = "rejected/readings.log";

    // How often an append looks whether its segment file is still there (someone may remove the directory).
    private const int AppendsBetweenChecks = 64;
    private static readonly TimeSpan TimeBetweenChecks = TimeSpan.FromSeconds(10);

    // How long acknowledgements may wait for the device: what a power cut can make us send again.
    private static readonly TimeSpan MarkFlushEvery = TimeSpan.FromSeconds(30);

    private readonly OutboxOptions _options;
    private readonly ILogger<DiskOutbox> _logger;
    private readonly object _gate = new();
    private readonly List<LogSegment> _segments = [];
    private readonly List<Entry> _entries = [];
    private readonly TimeProvider _timeProvider;
    private AckMark _mark;

    // An auto-reset signal: "something was added" wakes a consumer waiting on an empty outbox. The consumer (the
    // sender) goes on, up to its publish, on the thread that appended, outside the gate: one thread pool hand-off a
    // reading fewer.
    private readonly Channel<bool> _added = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, AllowSynchronousContinuations = true });
    private int _first;
    private long _bytes;
    private long _nextSequence;
    private long _dropped;
    private long _setAside;
    private int _appends;
    private long _lastCheck;
    private long _lastMarkFlush;
    private bool _markFailing;
    private OutboxMessage? _head;

    // The reading appended last: at one reading a tick the sender asks for it at once, and need not read it back.
    private OutboxMessage? _newest;

    public DiskOutbox(IOptions<OutboxOptions> options, ILogger<DiskOutbox> logger, TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        _lastCheck = _lastMarkFlush = _timeProvider.GetTimestamp();
        _options = options.Value;
        _logger = logger;
        Directory = OutboxDirectory.Resolve(_options.Directory);
        _mark = new AckMark(Directory);
        Recover();
    }

    public string Directory { get; }

    /// <summary>Gets how many readings wait for the broker.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count - _first;
            }
        }
    }

    /// <summary>Gets how many readings were dropped because the outbox was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Gets how many readings were set aside because the broker will never take them.</summary>
    public long SetAsideCount => Interlocked.Read(ref _setAside);

    /// <summary>Gets the sequence number the next reading will get: it never goes back, across drains, restarts and crashes.</summary>
    public long NextSequence
    {
        get
        {
            lock (_gate)
            {
                return _nextSequence;
            }
        }
    }

    /// <summary>Gets the sequence numbers of the readings that wait, oldest first.</summary>
    public long[] Waiting()
    {
        lock (_gate)
        {
            return [.. _entries.Skip(_first).Select(e => e.Sequence)];
        }
    }

    /// <summary>
    /// Appends a reading to the log; it is safe once this returns (on the device, with <c>Outbox:Durable</c>). A
    /// sender waiting on an empty outbox goes on from here, on this thread, up to its first wait (the publish sent).
    /// </summary>
    public void Enqueue(string topic, byte[] payload, int qos, DateTimeOffset takenAt)
    {
        lock (_gate)
        {
            _newest = AppendLocked(new OutboxMessage(_nextSequence, topic, payload, qos, takenAt), _options.Durable);
            DropBeyondBounds();
        }

        _added.Writer.TryWrite(true);
    }

    /// <summary>Returns the oldest waiting reading, waiting for one when there is none; it stays until <see cref="Acknowledge"/>.</summary>
    public async Task<OutboxMessage> PeekAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Entry entry;
            lock (_gate)
            {
                if (_entries.Count - _first == 0)
                {
                    entry = default;
                }
                else if (_head?.Sequence == _entries[_first].Sequence)
                {
                    return _head;
                }
                else
                {
                    entry = _entries[_first];
                }
            }

            if (entry.Segment is null)
            {
                await _added.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            lock (_gate)
            {
                // Under the gate: the bounds may drop and delete the segment meanwhile; then the next one is the oldest.
                if (_entries.Count - _first == 0 || _entries[_first].Sequence != entry.Sequence)
                {
                    continue;
                }

                _head = _newest?.Sequence == entry.Sequence ? _newest : Read(entry);
                return _head;
            }
        }
    }

    /// <summary>
    /// Returns the first waiting reading that comes after <paramref name="sequence"/>, without waiting, or
    /// <see langword="null"/> when there is none: how a sender keeps several publishes in flight, in order.
    /// </summary>
    public OutboxMessage? PeekAfter(long sequence)
    {
        Entry entry;
        lock (_gate)
        {
            if (_entries.Count - _first == 0)
            {
                return null;
            }

            // Entries are in sequence order, with gaps where recovery found damage or a reading was dropped.
            int index = _entries.BinarySearch(_first, _entries.Count - _first, new Entry(sequence + 1, null!, 0, 0), EntryOrder.Instance);
            index = index >= 0 ? index : ~index;
            if (index >= _entries.Count)
            {
                return null;
            }

            entry = _entries[index];
            return _newest?.Sequence == entry.Sequence ? _newest : Read(entry);
        }
    }

    /// <summary>The broker has it: the mark moves past it, and a segment all of whose readings are acknowledged goes.</summary>
    public void Acknowledge(long sequence)
    {
        lock (_gate)
        {
            // Only the oldest can be acknowledged; anything else was dropped as the oldest while it was in flight.
            if (_entries.Count - _first > 0 && _entries[_first].Sequence == sequence)
            {
                Forget();
                Mark(sequence);
                DeleteSpentSegments();
            }
        }
    }

    // Under _gate. The mark goes to the device at most every MarkFlushEvery (a power cut resends at most what was
    // acknowledged since), and before a segment is deleted. A disk that refuses it (remounted read-only) must not
    // stop the sending: the mark is kept in memory, said once, and readings may be sent again after a restart.
    private void Mark(long sequence, bool flush = false)
    {
        try
        {
            _mark.Set(sequence);
            if (flush || _timeProvider.GetElapsedTime(_lastMarkFlush) >= MarkFlushEvery)
            {
                _mark.Flush();
                _lastMarkFlush = _timeProvider.GetTimestamp();
            }

            if (_markFailing)
            {
                Log.MarkWritable(_logger, Directory);
                _markFailing = false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (!_markFailing)
            {
                Log.MarkFailed(_logger, Directory, ex.Message);
                _markFailing = true;
            }
        }
    }

    /// <summary>
    /// The broker will never take this reading (too large, invalid topic): copy it into <c>rejected/</c>, where a person
    /// can see it, and acknowledge it so the rest can go. Returns where it is kept, or <see langword="null"/> when it
    /// could not be copied (a full disk): then it is gone, which the caller says.
    /// </summary>
    public string? SetAside(long sequence)
    {
        byte[] record;
        lock (_gate)
        {
            if (_entries.Count - _first == 0 || _entries[_first].Sequence != sequence)
            {
                return null;
            }

            var entry = _entries[_first];
            record = entry.Segment.Read(entry.Offset, entry.Length);
        }

        string? kept = Path.Combine(Directory, RejectedFile);
        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
            using var file = new FileStream(kept, FileMode.Append, FileAccess.Write, FileShare.Read);
            file.Write(record);
            file.Flush(flushToDisk: _options.Durable);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            kept = null;
        }

        Interlocked.Increment(ref _setAside);
        Acknowledge(sequence);
        return kept;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            Mark(_mark.Acknowledged, flush: true);
            _mark.Dispose();
            foreach (var segment in _segments)
            {
                segment.Dispose();
            }
        }
    }

    private static OutboxMessage Read(Entry entry) =>
        OutboxRecord.Read(entry.Segment.Read(entry.Offset, entry.Length), out var message, out _, out string? problem) == RecordFrame.Record
            ? message!
            : throw new IOException($"{entry.Segment.Path}: the record of reading {entry.Sequence} no longer reads back ({problem})");

    // Under _gate.
    private void Forget()
    {
        _bytes -= _entries[_first].Length;
        _head = _head?.Sequence == _entries[_first].Sequence ? null : _head;
        _entries[_first++] = default;
        if (_first > 1024 && _first * 2 > _entries.Count)
        {
            _entries.RemoveRange(0, _first);
            _first = 0;
        }
    }

    // Under _gate: the message, numbered next, appended to the log and indexed.
    private OutboxMessage AppendLocked(OutboxMessage message, bool durable)
    {
        message = message with { Sequence = _nextSequence };
        byte[] record = OutboxRecord.Encode(message);
        var segment = SegmentFor(record.Length, message.Sequence);
        long offset = segment.Append(record, durable);
        _nextSequence = message.Sequence + 1;
        _entries.Add(new Entry(message.Sequence, segment, offset, record.Length));
        _bytes += record.Length;
        return message;
    }

    // Under _gate: the segment the next record goes into, a new one when the last is full or has vanished.
    private LogSegment SegmentFor(int recordLength, long sequence)
    {
        var last = _segments.Count > 0 ? _segments[^1] : null;
        if (last is not null && (++_appends % AppendsBetweenChecks == 0 || _timeProvider.GetElapsedTime(_lastCheck) > TimeBetweenChecks))
        {
            _lastCheck = _timeProvider.GetTimestamp();
            if (!File.Exists(last.Path))
            {
                // The directory or the file was removed under us: what is still in the open file is sent from it,
                // but new readings must go where a restart will find them.
                Log.Vanished(_logger, last.Path);
                try
                {
                    System.IO.Directory.CreateDirectory(Directory);
                    last = LogSegment.Create(Directory, sequence, recordLength);

                    // The mark too went with the directory: a new one, where a restart will look.
                    long acknowledged = _mark.Acknowledged;
                    _mark.Dispose();
                    _mark = new AckMark(Directory);
                    _mark.Set(acknowledged);
                    _mark.Flush();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // A directory that cannot come back (systemd's StateDirectory removed under its bind mount):
                    // only a restart makes it anew, so the service must fail, not write into nothing.
                    throw new OutboxLostException(Directory, ex);
                }

                _segments.Add(last);
                return last;
            }
        }

        if (last is null || !last.HasRoomFor(recordLength))
        {
            last = LogSegment.Create(Directory, sequence, recordLength);
            _segments.Add(last);
        }

        return last;
    }

    // Under _gate.
    private void DropBeyondBounds()
    {
        int dropped = 0;
        while (_entries.Count - _first > _options.MaxMessages || (_bytes > _options.MaxBytes && _entries.Count - _first > 1))
        {
            Mark(_entries[_first].Sequence);
            Forget();
            dropped++;
        }

        if (dropped > 0)
        {
            DeleteSpentSegments();
            long total = Interlocked.Add(ref _dropped, dropped);
            if (total == dropped || total / 1000 != (total - dropped) / 1000)
            {
                Log.Dropped(_logger, _options.MaxMessages, _options.MaxBytes, total);
            }
        }
    }

    // Under _gate: every segment but the one being written whose readings are all acknowledged.
    private void DeleteSpentSegments()
    {
        long acknowledged = _mark.Acknowledged;
        while (_segments.Count > 1 && _segments[1].FirstSequence - 1 <= acknowledged)
        {
            // The mark first: after a power cut it must not point before readings whose segment is gone.
            Mark(acknowledged, flush: true);
            var spent = _segments[0];
            _segments.RemoveAt(0);
            try
            {
                spent.Delete();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.DeleteFailed(_logger, spent.Path, ex.Message);
            }
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException ex)
        {
            Log.DeleteFailed(_logger, path, ex.Message);
        }
    }

    /// <summary>Where one waiting reading is in the log.</summary>
    private readonly record struct Entry(long Sequence, LogSegment Segment, long Offset, int Length);

    private sealed class EntryOrder : IComparer<Entry>
    {
        public static readonly EntryOrder Instance = new();

        public int Compare(Entry x, Entry y) => x.Sequence.CompareTo(y.Sequence);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Outbox {Directory}: {Count} reading(s) waiting from before; the next is number {Next}")]
        public static partial void Opened(ILogger logger, string directory, int count, long next);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox full ({MaxMessages} readings or {MaxBytes} bytes, Outbox:MaxMessages and Outbox:MaxBytes): dropping the oldest; {Dropped} dropped so far")]
        public static partial void Dropped(ILogger logger, int maxMessages, long maxBytes, long dropped);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Damage in the outbox log {Path}: {Problem} (a power cut?)")]
        public static partial void Cut(ILogger logger, string path, string problem);

        [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox directory {Directory} holds files that are not the outbox's; left alone: {Files}")]
        public static partial void Foreign(ILogger logger, string directory, string files);

        [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox file {Path} was removed under us; new readings go to a new file")]
        public static partial void Vanished(ILogger logger, string path);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot record acknowledgements in the outbox {Directory}: {Problem}; sending goes on, and readings may be sent again after a restart")]
        public static partial void MarkFailed(ILogger logger, string directory, string problem);

        [LoggerMessage(Level = LogLevel.Information, Message = "Recording acknowledgements in the outbox {Directory} works again")]
        public static partial void MarkWritable(ILogger logger, string directory);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete {Path}: {Problem}")]
        public static partial void DeleteFailed(ILogger logger, string path, string problem);
    }
}

/// <summary>The outbox directory was removed and cannot be made again while we run: the service stops, so systemd starts it anew.</summary>
public sealed class OutboxLostException(string directory, Exception inner)
    : Exception($"the outbox directory {directory} was removed and cannot be made again: {inner.Message}", inner);
