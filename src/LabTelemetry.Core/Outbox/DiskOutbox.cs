using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Store-and-forward on disk as an append-only log, one producer and one consumer: each reading is appended to a
/// segment file before it is published, acknowledgements move a mark, and a segment goes once all of it is
/// acknowledged. Survives broker outages, link drops, <c>kill -9</c> and power cuts; sequence numbers run on for the
/// device's life. Its parts: <see cref="OutboxIndex"/>, <see cref="SegmentFiles"/>, <see cref="Acknowledgements"/>,
/// <see cref="OutboxBounds"/>, <see cref="RejectedStore"/>, <see cref="OutboxRecovery"/>.
/// </summary>
public sealed partial class DiskOutbox : IDisposable
{
    private readonly OutboxOptions _options;
    private readonly ILogger<DiskOutbox> _logger;
    private readonly object _lock = new();
    private readonly Acknowledgements _acknowledgements;
    private readonly SegmentFiles _segments;
    private readonly OutboxIndex _index = new();
    private readonly RejectedStore _rejected;
    private readonly OutboxBounds _bounds;

    // An auto-reset signal: "something was added" wakes a consumer waiting on an empty outbox. The consumer (the
    // sender) goes on, up to its publish, on the thread that appended, outside the lock: one thread pool hand-off a
    // reading fewer.
    private readonly Channel<bool> _added = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, AllowSynchronousContinuations = true });
    private long _nextSequence;

    // Readings not read back from the file: the one the sender sends now, and the one appended last (at one reading
    // a tick the sender asks for it at once).
    private OutboxMessage? _head;
    private OutboxMessage? _newest;

    public DiskOutbox(IOptions<OutboxOptions> options, ILogger<DiskOutbox> logger, TimeProvider? timeProvider = null)
    {
        var time = timeProvider ?? TimeProvider.System;
        _options = options.Value;
        _logger = logger;
        Directory = OutboxDirectory.Resolve(_options.Directory);
        _acknowledgements = new Acknowledgements(Directory, time, logger);
        _rejected = new RejectedStore(Directory, _options.Durable);
        _bounds = new OutboxBounds(_options.MaxMessages, _options.MaxBytes, logger);
        var recovered = OutboxRecovery.Run(Directory, _acknowledgements.Acknowledged, new HashSet<string>(StringComparer.Ordinal) { AckMark.FileName, RejectedStore.DirectoryName }, logger);
        _segments = new SegmentFiles(Directory, recovered.Segments, _acknowledgements, time, logger);
        recovered.Waiting.ForEach(_index.Add);
        _nextSequence = recovered.NextSequence;
        Log.Opened(_logger, Directory, _index.Count, _nextSequence);
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

    /// <summary>
    /// Appends a reading to the log; it is safe once this returns (on the device, with <c>Outbox:Durable</c>). A
    /// sender waiting on an empty outbox goes on from here, on this thread, up to its first wait (the publish sent).
    /// </summary>
    public void Enqueue(string topic, byte[] payload, int qos, DateTimeOffset takenAt)
    {
        lock (_lock)
        {
            var message = new OutboxMessage(_nextSequence, topic, payload, qos, takenAt);
            byte[] record = OutboxRecord.Encode(message);
            var segment = _segments.For(record.Length, message.Sequence);
            long offset = segment.Append(record, _options.Durable);
            _nextSequence++;
            _index.Add(new OutboxEntry(message.Sequence, segment, offset, record.Length));
            _newest = message;
            DropBeyondBounds();
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

    /// <summary>
    /// Returns the first waiting reading that comes after <paramref name="sequence"/>, without waiting, or
    /// <see langword="null"/> when there is none: how a sender keeps several publishes in flight, in order.
    /// </summary>
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
    /// The broker will never take this reading (too large, invalid topic): copy it into <c>rejected/</c>, where a person
    /// can see it, and acknowledge it so the rest can go. Returns where it is kept, or <see langword="null"/> when it
    /// could not be copied (a full disk): then it is gone, which the caller says.
    /// </summary>
    public string? SetAside(long sequence)
    {
        byte[] record;
        lock (_lock)
        {
            if (_index.Oldest is not { } oldest || oldest.Sequence != sequence)
            {
                return null;
            }

            record = oldest.Segment.Read(oldest.Offset, oldest.Length);
        }

        string? kept = _rejected.Keep(record);
        Acknowledge(sequence);
        return kept;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _acknowledgements.Dispose();
            _segments.Dispose();
        }
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
        int dropped = 0;
        for (; _bounds.Exceeded(_index); dropped++)
        {
            _acknowledgements.Set(_index.Oldest!.Value.Sequence);
            Forget();
        }

        if (dropped > 0)
        {
            _segments.DeleteSpent();
        }

        _bounds.Dropped(dropped);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Outbox {Directory}: {Count} reading(s) waiting from before; the next is number {Next}")]
        public static partial void Opened(ILogger logger, string directory, int count, long next);
    }
}
