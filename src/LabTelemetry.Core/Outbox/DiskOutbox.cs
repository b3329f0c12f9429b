using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Store-and-forward on disk: every payload is written (one file per reading) before it is published, and
/// removed only once the broker has it. Survives broker outages, link drops, <c>kill -9</c> and reboots;
/// bounded by <c>Outbox:MaxMessages</c>, dropping the oldest first. One producer, one consumer.
/// </summary>
public sealed partial class DiskOutbox
{
    private const string Extension = ".msg";
    private const string Unfinished = ".tmp";
    private const string RejectedDirectory = "rejected";

    private readonly OutboxOptions _options;
    private readonly ILogger<DiskOutbox> _logger;
    private readonly SortedSet<long> _waiting = [];
    private readonly object _gate = new();

    // An auto-reset signal: "something was added" wakes a consumer waiting on an empty outbox.
    private readonly Channel<bool> _added = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private OutboxMessage? _head;
    private long _lastSequence;
    private long _dropped;
    private long _setAside;

    public DiskOutbox(IOptions<OutboxOptions> options, ILogger<DiskOutbox> logger)
    {
        _options = options.Value;
        _logger = logger;
        Directory = OutboxDirectory.Resolve(_options.Directory);
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
                return _waiting.Count;
            }
        }
    }

    /// <summary>Gets how many readings were dropped because the outbox was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Writes a reading to disk; it is safe once this returns.</summary>
    public async Task EnqueueAsync(string topic, byte[] payload, int qos, DateTimeOffset takenAt, CancellationToken cancellationToken)
    {
        long sequence = Interlocked.Increment(ref _lastSequence);
        byte[] record = OutboxRecord.Encode(new OutboxMessage(sequence, topic, payload, qos, takenAt));

        // Write aside, then rename: a reader never sees half a record, and a crash leaves only a .tmp to discard.
        string path = PathOf(sequence);
        var stream = new FileStream(path + Unfinished, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(record, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: _options.Durable);
        }

        File.Move(path + Unfinished, path);
        int dropped = 0;
        lock (_gate)
        {
            _waiting.Add(sequence);
            while (_waiting.Count > _options.MaxMessages)
            {
                long oldest = _waiting.Min;
                _waiting.Remove(oldest);
                _head = _head?.Sequence == oldest ? null : _head;
                TryDelete(oldest);
                dropped++;
            }
        }

        if (dropped > 0)
        {
            long total = Interlocked.Add(ref _dropped, dropped);
            if (total == dropped || total / 1000 != (total - dropped) / 1000)
            {
                Log.Dropped(_logger, _options.MaxMessages, total);
            }
        }

        _added.Writer.TryWrite(true);
    }

    /// <summary>Returns the oldest waiting reading, waiting for one when there is none; it stays until <see cref="Acknowledge"/>.</summary>
    public async Task<OutboxMessage> PeekAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            long sequence;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    sequence = 0;
                }
                else if (_head?.Sequence == _waiting.Min)
                {
                    return _head;
                }
                else
                {
                    sequence = _waiting.Min;
                }
            }

            if (sequence == 0)
            {
                await _added.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (Read(sequence) is { } message)
            {
                lock (_gate)
                {
                    _head = message;
                }

                return message;
            }
        }
    }

    /// <summary>
    /// Returns the first waiting reading that comes after <paramref name="sequence"/>, without waiting, or
    /// <see langword="null"/> when there is none: how a sender keeps several publishes in flight, in order.
    /// </summary>
    public OutboxMessage? PeekAfter(long sequence)
    {
        while (true)
        {
            long next;
            lock (_gate)
            {
                next = _waiting.FirstOrDefault(waiting => waiting > sequence);
            }

            if (next == 0)
            {
                return null;
            }

            if (Read(next) is { } message)
            {
                return message;
            }
        }
    }

    /// <summary>Gets how many readings were set aside because the broker will never take them.</summary>
    public long SetAsideCount => Interlocked.Read(ref _setAside);

    /// <summary>
    /// The broker will never take this reading (too large, invalid topic): move it out of the way of the rest, into
    /// <c>rejected/</c> where a person can see it. Returns where it is kept, or <see langword="null"/> when it could not be moved.
    /// </summary>
    public string? SetAside(long sequence)
    {
        lock (_gate)
        {
            _waiting.Remove(sequence);
            _head = _head?.Sequence == sequence ? null : _head;
        }

        Interlocked.Increment(ref _setAside);
        string target = Path.Combine(Directory, RejectedDirectory, Path.GetFileName(PathOf(sequence)));
        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(PathOf(sequence), target, overwrite: true);
            return target;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left where it is: out of this run's way, tried (and set aside) again after a restart.
            return null;
        }
    }

    /// <summary>The broker has it: forget it.</summary>
    public void Acknowledge(long sequence)
    {
        lock (_gate)
        {
            _waiting.Remove(sequence);
            _head = _head?.Sequence == sequence ? null : _head;
        }

        TryDelete(sequence);
    }

    private OutboxMessage? Read(long sequence)
    {
        byte[] record;
        try
        {
            // A record is a few hundred bytes on a local disk: reading it in place costs less than a thread-pool hop.
            record = File.ReadAllBytes(PathOf(sequence));
        }
        catch (FileNotFoundException)
        {
            Forget(sequence); // dropped as the oldest while we were reading it
            return null;
        }

        var message = OutboxRecord.Decode(sequence, record, out string? problem);
        if (message is null)
        {
            Log.Corrupt(_logger, PathOf(sequence), problem ?? "unreadable");
            Forget(sequence);
            TryDelete(sequence);
        }

        return message;
    }

    private void Forget(long sequence)
    {
        lock (_gate)
        {
            _waiting.Remove(sequence);
        }
    }

    private void Recover()
    {
        foreach (string unfinished in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension + Unfinished))
        {
            File.Delete(unfinished); // written when the power went; never counted as written
        }

        var found = System.IO.Directory.EnumerateFiles(Directory, "*" + Extension)
            .Select(path => long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out long sequence) ? sequence : 0)
            .Where(sequence => sequence > 0)
            .Order()
            .ToList();
        _waiting.UnionWith(found);

        _lastSequence = found.Count > 0 ? found[^1] : 0;
        Log.Opened(_logger, Directory, found.Count);
    }

    private string PathOf(long sequence) => Path.Combine(Directory, sequence.ToString("D19", CultureInfo.InvariantCulture) + Extension);

    private void TryDelete(long sequence)
    {
        try
        {
            File.Delete(PathOf(sequence));
        }
        catch (IOException ex)
        {
            Log.DeleteFailed(_logger, PathOf(sequence), ex.Message);
        }
    }

    private static partial class Log
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
}
