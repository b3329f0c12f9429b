namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Hands out sequence numbers so that none is ever given twice, across power cuts too: each block is reserved in a
/// synced file before its first number is used, and a clean stop writes down the exact next.
/// </summary>
internal sealed class SequenceReservation : IDisposable
{
    public const string FileName = "reserved";

    /// <summary>Numbers reserved with each sync: at 10 readings a second, one sync every 100 s.</summary>
    public const long Block = 1024;

    // A restart goes on after the highest number that may have been given, whatever the log lost: a crash skips
    // the rest of a block.
    private readonly FileLayer _files;
    private readonly string _directory;
    private NumberFile _file;

    /// <param name="recovered">The number after the highest the log and the mark know of.</param>
    public SequenceReservation(FileLayer files, string directory, long recovered)
    {
        _files = files;
        _directory = directory;
        _file = new NumberFile(files, directory, FileName);
        Next = Math.Max(recovered, _file.Value);
    }

    /// <summary>Gets the number the next reading will get.</summary>
    public long Next { get; private set; }

    /// <summary>Gets whether the last reservation reached the storage device; a read-only disk cannot keep the promise.</summary>
    public bool Kept { get; private set; } = true;

    /// <summary>Takes the next number, reserving a block on the device first when the last one is used up.</summary>
    public long Take()
    {
        if (Next >= _file.Value)
        {
            try
            {
                _file.Set(Next + Block);
                _file.Flush();
                Kept = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Numbering goes on in memory; the outbox says the disk cannot be written.
                Kept = false;
            }
        }

        return Next++;
    }

    /// <summary>The directory was removed and made anew: the reservation too, so the next number taken reserves again.</summary>
    public void Remake()
    {
        _file.Dispose();
        _file = new NumberFile(_files, _directory, FileName);
    }

    /// <summary>Writes down the exact next number, for a clean stop.</summary>
    public void Dispose()
    {
        try
        {
            _file.Lower(Next);
            _file.Flush();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The block reserved stays: the next run skips the rest of it.
        }

        _file.Dispose();
    }
}
