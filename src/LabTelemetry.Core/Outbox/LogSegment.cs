using System.Buffers;
using System.Buffers.Binary;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// One file of the outbox log: a header naming its first sequence number, then records appended one after another;
/// deleted whole once every record in it is acknowledged.
/// </summary>
internal sealed class LogSegment : IDisposable
{
    /// <summary>About 8 000 readings: a segment a day at a 10 s interval, zero-filled once.</summary>
    public const int DefaultCapacity = 1 << 20;

    /// <summary>The smallest a segment is made on a nearly full disk: a 4 KiB block.</summary>
    public const int SmallestCapacity = 4 << 10;

    /// <summary>A file named like a segment but larger than this is not ours: left alone, never read whole.</summary>
    public const long MaxCapacity = DefaultCapacity + OutboxRecord.MaxBodyBytes + (64 * 1024);

    public const int HeaderBytes = 16;

    private const ulong Magic = 0x4C54_5345_4731_0A00; // "LTSEG1\n\0"

    // Zero-filled and synced when made, so that appending and fdatasync change no block map, size or
    // directory: one data block per sync.
    private readonly FileLayer _files;
    private readonly OutboxFile _file;

    private LogSegment(FileLayer files, string path, long firstSequence, OutboxFile file, long capacity)
    {
        _files = files;
        Path = path;
        FirstSequence = firstSequence;
        _file = file;
        Capacity = capacity;
        End = HeaderBytes;
    }

    public string Path { get; }

    public long FirstSequence { get; }

    public long Capacity { get; }

    /// <summary>Gets where the next record goes: the end of the last whole record.</summary>
    public long End { get; private set; }

    /// <summary>Gets how far the file is known to be on the storage device: the end as of the last sync.</summary>
    public long SyncedEnd { get; private set; } = HeaderBytes;

    /// <summary>Gets a value indicating whether records were appended since the last sync.</summary>
    public bool Unsynced => End > SyncedEnd;

    /// <summary>
    /// Makes a segment: written aside, zero-filled and synced, then renamed into place and the directory synced. On a
    /// disk too full for a whole one, smaller ones are tried, down to <see cref="SmallestCapacity"/>.
    /// </summary>
    public static LogSegment Create(FileLayer files, string directory, long firstSequence, int atLeast)
    {
        string aside = System.IO.Path.Combine(directory, SegmentName.Unfinished(SegmentName.For(firstSequence)));
        long capacity = Math.Max(DefaultCapacity, HeaderBytes + atLeast);
        while (true)
        {
            try
            {
                WriteZeroed(files, aside, firstSequence, capacity);
                break;
            }
            catch (IOException) when (capacity / 4 >= Math.Max(SmallestCapacity, HeaderBytes + atLeast))
            {
                // A full disk: what was written aside would only take the room a smaller try needs.
                files.Delete(aside);
                capacity /= 4;
            }
            catch (IOException)
            {
                files.Delete(aside);
                throw;
            }
        }

        // Never over a file that is not ours and happens to bear the name: the next free variant instead.
        string path = System.IO.Path.Combine(directory, SegmentName.For(firstSequence));
        for (int variant = 1; !TryMove(files, aside, path); variant++)
        {
            path = System.IO.Path.Combine(directory, SegmentName.For(firstSequence, variant));
        }

        files.FlushDirectory(directory);
        return new LogSegment(files, path, firstSequence, files.Open(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read), capacity);
    }

    /// <summary>Opens a segment found at start; <see langword="null"/> when the file is not one of ours (wrong header or size).</summary>
    public static LogSegment? Open(FileLayer files, string path, long firstSequence)
    {
        var file = files.Open(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        long length = file.Length;
        byte[] header = new byte[HeaderBytes];
        if (length < HeaderBytes || length > MaxCapacity || file.Read(header, 0) != HeaderBytes
            || BinaryPrimitives.ReadUInt64BigEndian(header) != Magic || BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(8)) != firstSequence)
        {
            file.Dispose();
            return null;
        }

        return new LogSegment(files, path, firstSequence, file, length);
    }

    public bool HasRoomFor(int bytes) => End + bytes <= Capacity;

    /// <summary>Appends a record, without a sync: <see cref="Flush"/> puts it on the device.</summary>
    public long Append(ReadOnlySpan<byte> record)
    {
        long offset = End;
        _file.Write(record, offset);
        End = offset + record.Length;
        return offset;
    }

    /// <summary>Puts what was appended so far on the storage device; appends may go on meanwhile.</summary>
    public void Flush() => _file.FlushData();

    /// <summary>The records up to <paramref name="end"/> were on the device when a <see cref="Flush"/> returned.</summary>
    public void Synced(long end) => SyncedEnd = Math.Max(SyncedEnd, end);

    public byte[] Read(long offset, int length)
    {
        byte[] record = new byte[length];
        return _file.Read(record, offset) == length ? record : throw new IOException($"{Path}: short read at {offset}");
    }

    /// <summary>Reads the whole file into <paramref name="buffer"/> (at least <see cref="Capacity"/> long); returns the bytes read.</summary>
    public int ReadAll(Span<byte> buffer) => _file.Read(buffer[..(int)Capacity], 0);

    /// <summary>Where appends go on from after a scan at start: the end of the last whole record.</summary>
    public void ResumeAt(long end) => End = end;

    /// <summary>Zeroes <paramref name="bytes"/> bytes at <paramref name="offset"/>, on the device, and appends go on from there: a torn tail cut.</summary>
    public void CutAt(long offset, int bytes)
    {
        _file.Write(new byte[bytes], offset);
        _file.FlushData();
        End = offset;
    }

    public void Delete()
    {
        _file.Dispose();
        _files.Delete(Path);
    }

    public void Dispose() => _file.Dispose();

    private static void WriteZeroed(FileLayer files, string aside, long firstSequence, long capacity)
    {
        using var file = files.Open(aside, FileMode.Create, FileAccess.Write, FileShare.None);
        byte[] header = new byte[HeaderBytes];
        BinaryPrimitives.WriteUInt64BigEndian(header, Magic);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(8), firstSequence);
        file.Write(header, 0);
        byte[] zeros = ArrayPool<byte>.Shared.Rent(64 * 1024);
        Array.Clear(zeros);
        try
        {
            for (long offset = HeaderBytes; offset < capacity; offset += zeros.Length)
            {
                file.Write(zeros.AsSpan(0, (int)Math.Min(zeros.Length, capacity - offset)), offset);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(zeros);
        }

        file.FlushData();
    }

    private static bool TryMove(FileLayer files, string from, string to)
    {
        if (files.Exists(to))
        {
            return false;
        }

        files.Move(from, to);
        return true;
    }
}
