namespace LabTelemetry.Core.Outbox;

/// <summary>
/// How far the broker has acknowledged (the highest sequence, all before it too): written at every acknowledgement,
/// synced at most every <see cref="FlushEvery"/>, before a segment is deleted, and at stop.
/// </summary>
internal sealed partial class Acknowledgements : IDisposable
{
    /// <summary>How long acknowledgements may wait for the device: what a power cut can make us send again.</summary>
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(30);

    public const string FileName = "acked";

    private readonly FileLayer _files;
    private readonly string _directory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private NumberFile _mark;
    private long _lastFlush;
    // Written without a sync, a crash loses nothing: the page cache has it. A disk that refuses it (remounted
    // read-only) must not stop the sending: the mark stays in memory, said once, and readings may come again after a restart.
    private bool _failing;

    public Acknowledgements(FileLayer files, string directory, TimeProvider timeProvider, ILogger logger)
    {
        _files = files;
        _directory = directory;
        _timeProvider = timeProvider;
        _logger = logger;
        _mark = new NumberFile(files, directory, FileName);
        _lastFlush = timeProvider.GetTimestamp();
    }

    /// <summary>Gets the highest sequence acknowledged, all before it being acknowledged too (0 when none ever was).</summary>
    public long Acknowledged => _mark.Value;

    /// <summary>Moves the mark to <paramref name="sequence"/>; with <paramref name="flush"/>, onto the device now.</summary>
    public void Set(long sequence, bool flush = false)
    {
        try
        {
            _mark.Set(sequence);
            if (flush || _timeProvider.GetElapsedTime(_lastFlush) >= FlushEvery)
            {
                _mark.Flush();
                _lastFlush = _timeProvider.GetTimestamp();
            }

            if (_failing)
            {
                Log.Writable(_logger, _directory);
                _failing = false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (!_failing)
            {
                Log.Failed(_logger, _directory, ex.Message);
                _failing = true;
            }
        }
    }

    /// <summary>The directory was removed and made anew: a new mark in it, where a restart will look.</summary>
    public void Remake()
    {
        long acknowledged = _mark.Value;
        _mark.Dispose();
        _mark = new NumberFile(_files, _directory, FileName);
        _mark.Set(acknowledged);
        _mark.Flush();
    }

    public void Dispose()
    {
        Set(_mark.Value, flush: true);
        _mark.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot record acknowledgements in the outbox {Directory}: {Problem}; sending goes on, and readings may be sent again after a restart")]
        public static partial void Failed(ILogger logger, string directory, string problem);

        [LoggerMessage(Level = LogLevel.Information, Message = "Recording acknowledgements in the outbox {Directory} works again")]
        public static partial void Writable(ILogger logger, string directory);
    }
}
