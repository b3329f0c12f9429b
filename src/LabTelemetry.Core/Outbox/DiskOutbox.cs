using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Store-and-forward as an append-only log, one producer and one consumer: each reading appended before it is
/// published, synced only if the broker has not soon taken it, and its segment deleted once all of it is acknowledged.
/// </summary>
public sealed partial class DiskOutbox : IDisposable
{
    private readonly object _lock = new();
    private readonly Acknowledgements _acknowledgements;
    private readonly SegmentFiles _segments;
    private readonly OutboxIndex _index = new();
    private readonly RejectedStore _rejected;
    private readonly OutboxBounds _bounds;
    private readonly SequenceReservation _numbers;
    private readonly LogWriter _writer;
    private readonly SyncDeadline? _deadline;

    // "Something was added" wakes a sender waiting on an empty outbox, which goes on on the appending thread, outside
    // the lock: one thread pool hand-off a reading fewer.
    private readonly Channel<bool> _added = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, AllowSynchronousContinuations = true });

    // Not read back from the file: the one the sender sends now, and the one appended last, which it asks for at once.
    private OutboxMessage? _head;
    private OutboxMessage? _newest;

    /// <param name="neighbours">Names in the directory that other parts of the service keep there: not the outbox's, not foreign either.</param>
    public DiskOutbox(IOptions<OutboxOptions> options, ILogger<DiskOutbox> logger, TimeProvider? timeProvider = null, IEnumerable<string>? neighbours = null)
        : this(options.Value, logger, timeProvider ?? TimeProvider.System, FileLayer.Disk, neighbours)
    {
    }

    /// <param name="files">The file system: the disk's, or a test's that can lose what was not synced.</param>
    internal DiskOutbox(OutboxOptions options, ILogger<DiskOutbox> logger, TimeProvider time, FileLayer files, IEnumerable<string>? neighbours = null)
    {
        Directory = OutboxDirectory.Resolve(options.Directory);
        _acknowledgements = new Acknowledgements(files, Directory, time, logger);
        _rejected = new RejectedStore(Directory, options.Durable);
        _bounds = new OutboxBounds(options.MaxMessages, options.MaxBytes, logger);
        string[] ours = [Acknowledgements.FileName, SequenceReservation.FileName, RejectedStore.DirectoryName, .. neighbours ?? []];
        var recovered = OutboxRecovery.Run(files, Directory, _acknowledgements.Acknowledged, ours.ToHashSet(StringComparer.Ordinal), logger);
        _numbers = new SequenceReservation(files, Directory, recovered.NextSequence);
        _segments = new SegmentFiles(files, Directory, recovered.Segments, _acknowledgements, Remade, time, logger);
        _writer = new LogWriter(_segments, _index, options.MaxInMemory, Directory, time, logger);
        _deadline = options.Durable ? new SyncDeadline(options.SyncAfter, _lock, _segments, () => _index.NewestInLog, () => _index.Oldest?.Sequence, time, logger) : null;
        recovered.Waiting.ForEach(_index.Add);
        Log.Opened(logger, Directory, _index.Count, _numbers.Next);
        lock (_lock)
        {
            // What waits from before may be in the page cache only (a crash, not a power cut): it waits for the deadline too.
            _deadline?.Written();
        }
    }

    public string Directory { get; }

    /// <summary>Gets how many readings wait for the broker.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>Gets how many readings were set aside because the broker will never take them.</summary>
    public long SetAsideCount => _rejected.Count;

    /// <summary>Appends a reading to the log (or holds it in memory while the log cannot be written), under the next number.</summary>
    public void Enqueue(string topic, byte[] payload, int qos, DateTimeOffset takenAt)
    {
        lock (_lock)
        {
            var message = new OutboxMessage(_numbers.Take(), topic, payload, qos, takenAt);
            _writer.Write(message);
            _newest = message;
            DropBeyondBounds();
            _deadline?.Written();
        }

        _added.Writer.TryWrite(true);
    }

    /// <summary>Returns the oldest waiting reading, waiting for one when there is none; it stays until <see cref="Acknowledge"/>.</summary>
    public async Task<OutboxMessage> PeekAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_lock)
            {
                // Read under the lock: the bounds may drop the oldest and delete its segment meanwhile.
                if (_index.Oldest is { } oldest)
                {
                    _head = _head?.Sequence == oldest.Sequence ? _head : Read(oldest);
                    return _head;
                }
            }

            await _added.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The first waiting reading after <paramref name="sequence"/>, or <see langword="null"/>: how a sender keeps several in flight.</summary>
    public OutboxMessage? PeekAfter(long sequence)
    {
        lock (_lock)
        {
            return _index.After(sequence) is { } entry ? Read(entry) : null;
        }
    }

    /// <summary>The broker has it: the mark moves past it, and a segment all of whose readings are acknowledged goes.</summary>
    public void Acknowledge(long sequence)
    {
        lock (_lock)
        {
            // Only the oldest can be acknowledged; anything else was dropped as the oldest while it was in flight.
            if (_index.Oldest?.Sequence == sequence)
            {
                Forget();
                _acknowledgements.Set(sequence);
                _segments.DeleteSpent();
            }
        }
    }

    /// <summary>
    /// The broker will never take this reading (too large, invalid topic): kept in <c>rejected/</c> for a person to see,
    /// and acknowledged so the rest can go. Returns where it is kept, or <see langword="null"/> when it could not be.
    /// </summary>
    public string? SetAside(long sequence)
    {
        byte[]? record;
        lock (_lock)
        {
            record = _index.Oldest is { } oldest && oldest.Sequence == sequence ? oldest.Record() : null;
        }

        string? kept = record is null ? null : _rejected.Keep(record);
        Acknowledge(sequence);
        return kept;
    }

    /// <summary>A clean stop: what waits goes to the device, and the exact next number is written down.</summary>
    public void Dispose()
    {
        _deadline?.Dispose();
        _deadline?.Sync();
        lock (_lock)
        {
            _numbers.Dispose();
            _acknowledgements.Dispose();
            _segments.Dispose();
        }
    }

    private void Remade()
    {
        _acknowledgements.Remake();
        _numbers.Remake();
    }

    // Under the lock.
    private OutboxMessage Read(OutboxEntry entry) => _newest?.Sequence == entry.Sequence ? _newest : entry.Read();

    // Under the lock.
    private void Forget()
    {
        var oldest = _index.RemoveOldest();
        _head = _head?.Sequence == oldest.Sequence ? null : _head;
    }

    // Under the lock.
    private void DropBeyondBounds()
    {
        if (_bounds.Enforce(_index, () =>
        {
            _acknowledgements.Set(_index.Oldest!.Value.Sequence);
            Forget();
        }))
        {
            _segments.DeleteSpent();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Outbox {Directory}: {Count} reading(s) waiting from before; the next is number {Next}")]
        public static partial void Opened(ILogger logger, string directory, int count, long next);
    }
}
