using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// One file of the outbox log: a header naming its first sequence number, then records appended one after another
/// into space that was zero-filled and synced when the file was made, so that appending and <c>fdatasync</c> change
/// no block map, size or directory: one data block per reading. Deleted whole once every record in it is acknowledged.
/// </summary>
internal sealed class LogSegment : IDisposable
{
    /// <summary>About 8 000 readings: a segment a day at a 10 s interval, zero-filled once.</summary>
    public const int DefaultCapacity = 1 << 20;

    /// <summary>A file named like a segment but larger than this is not ours: left alone, never read whole.</summary>
    public const long MaxCapacity = DefaultCapacity + OutboxRecord.MaxBodyBytes + (64 * 1024);

    public const int HeaderBytes = 16;

    private const ulong Magic = 0x4C54_5345_4731_0A00; // "LTSEG1\n\0"

    private readonly SafeFileHandle _file;

    private LogSegment(string path, long firstSequence, SafeFileHandle file, long capacity)
    {
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

    /// <summary>Makes a segment: written aside, zero-filled and synced, then renamed into place and the directory synced.</summary>
    public static LogSegment Create(string directory, long firstSequence, int atLeast)
    {
        long capacity = Math.Max(DefaultCapacity, HeaderBytes + atLeast);
        string aside = System.IO.Path.Combine(directory, SegmentName.Unfinished(SegmentName.For(firstSequence)));
        try
        {
            WriteZeroed(aside, firstSequence, capacity);
        }
        catch (IOException)
        {
            // A full disk: what was written aside would only take the room the next try needs.
            File.Delete(aside);
            throw;
        }

        // Never over a file that is not ours and happens to bear the name: the next free variant instead.
        string path = System.IO.Path.Combine(directory, SegmentName.For(firstSequence));
        for (int variant = 1; !TryMove(aside, path); variant++)
        {
            path = System.IO.Path.Combine(directory, SegmentName.For(firstSequence, variant));
        }

        FileSync.FlushDirectory(directory);
        return new LogSegment(path, firstSequence, File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read), capacity);
    }

    private static void WriteZeroed(string aside, long firstSequence, long capacity)
    {
        using var file = File.OpenHandle(aside, FileMode.Create, FileAccess.Write, FileShare.None);
        byte[] header = new byte[HeaderBytes];
        BinaryPrimitives.WriteUInt64BigEndian(header, Magic);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(8), firstSequence);
        RandomAccess.Write(file, header, 0);
        byte[] zeros = ArrayPool<byte>.Shared.Rent(64 * 1024);
        Array.Clear(zeros);
        try
        {
            for (long offset = HeaderBytes; offset < capacity; offset += zeros.Length)
            {
                RandomAccess.Write(file, zeros.AsSpan(0, (int)Math.Min(zeros.Length, capacity - offset)), offset);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(zeros);
        }

        FileSync.FlushData(file);
    }

    private static bool TryMove(string from, string to)
    {
        if (File.Exists(to))
        {
            return false;
        }

        File.Move(from, to, overwrite: false);
        return true;
    }

    /// <summary>Opens a segment found at start; <see langword="null"/> when the file is not one of ours (wrong header or size).</summary>
    public static LogSegment? Open(string path, long firstSequence)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        long length = RandomAccess.GetLength(file);
        byte[] header = new byte[HeaderBytes];
        if (length < HeaderBytes || length > MaxCapacity || RandomAccess.Read(file, header, 0) != HeaderBytes
            || BinaryPrimitives.ReadUInt64BigEndian(header) != Magic || BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(8)) != firstSequence)
        {
            file.Dispose();
            return null;
        }

        return new LogSegment(path, firstSequence, file, length);
    }

    public bool HasRoomFor(int bytes) => End + bytes <= Capacity;

    /// <summary>Appends a record; with <paramref name="durable"/>, on the storage device when this returns.</summary>
    public long Append(ReadOnlySpan<byte> record, bool durable)
    {
        long offset = End;
        RandomAccess.Write(_file, record, offset);
        if (durable)
        {
            FileSync.FlushData(_file);
        }

        End = offset + record.Length;
        return offset;
    }

    public byte[] Read(long offset, int length)
    {
        byte[] record = new byte[length];
        return RandomAccess.Read(_file, record, offset) == length ? record : throw new IOException($"{Path}: short read at {offset}");
    }

    /// <summary>Reads the whole file into <paramref name="buffer"/> (at least <see cref="Capacity"/> long); returns the bytes read.</summary>
    public int ReadAll(Span<byte> buffer) => RandomAccess.Read(_file, buffer[..(int)Capacity], 0);

    /// <summary>Where appends go on from after a scan at start: the end of the last whole record.</summary>
    public void ResumeAt(long end) => End = end;

    /// <summary>Zeroes <paramref name="bytes"/> bytes at <paramref name="offset"/>, on the device, and appends go on from there: a torn tail cut.</summary>
    public void CutAt(long offset, int bytes)
    {
        RandomAccess.Write(_file, new byte[bytes], offset);
        FileSync.FlushData(_file);
        End = offset;
    }

    public void Delete()
    {
        _file.Dispose();
        File.Delete(Path);
    }

    public void Dispose() => _file.Dispose();
}
