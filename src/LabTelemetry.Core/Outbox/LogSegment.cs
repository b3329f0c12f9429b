using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
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

    private const string Prefix = "outbox-";
    private const string Suffix = ".log";

    /// <summary>A segment being made: zero-filled aside, renamed into place once synced; left over only by a crash.</summary>
    public const string AsideSuffix = ".log.new";
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

    public static string NameFor(long firstSequence) => Prefix + firstSequence.ToString("D19", CultureInfo.InvariantCulture) + Suffix;

    /// <summary>
    /// Reads the first sequence from a name such as <c>outbox-0000000000000000042.log</c>, or
    /// <c>outbox-0000000000000000042-1.log</c> when a file that is not ours already had the plain name.
    /// </summary>
    public static bool TryParseName(string fileName, out long firstSequence)
    {
        firstSequence = 0;
        if (!fileName.StartsWith(Prefix, StringComparison.Ordinal) || !fileName.EndsWith(Suffix, StringComparison.Ordinal) || fileName.Length < Prefix.Length + 19 + Suffix.Length)
        {
            return false;
        }

        var rest = fileName.AsSpan(Prefix.Length + 19, fileName.Length - Prefix.Length - 19 - Suffix.Length);
        return long.TryParse(fileName.AsSpan(Prefix.Length, 19), NumberStyles.None, CultureInfo.InvariantCulture, out firstSequence)
            && firstSequence > 0
            && (rest.IsEmpty || (rest[0] == '-' && int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out _)));
    }

    /// <summary>Makes a segment: written aside, zero-filled and synced, then renamed into place and the directory synced.</summary>
    public static LogSegment Create(string directory, long firstSequence, int atLeast)
    {
        long capacity = Math.Max(DefaultCapacity, HeaderBytes + atLeast);
        string aside = System.IO.Path.Combine(directory, NameFor(firstSequence) + AsideSuffix);
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
        string path = System.IO.Path.Combine(directory, NameFor(firstSequence));
        for (int variant = 1; !TryMove(aside, path); variant++)
        {
            path = System.IO.Path.Combine(directory, NameFor(firstSequence)[..^Suffix.Length] + "-" + variant.ToString(CultureInfo.InvariantCulture) + Suffix);
        }

        Storage.FlushDirectory(directory);
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

        Storage.FlushData(file);
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
            Storage.FlushData(_file);
        }

        End = offset + record.Length;
        return offset;
    }

    public byte[] Read(long offset, int length)
    {
        byte[] record = new byte[length];
        return RandomAccess.Read(_file, record, offset) == length ? record : throw new IOException($"{Path}: short read at {offset}");
    }

    /// <summary>
    /// Reads every whole record in order. Damage (a torn append, a block of zeros, bytes that are no record) is stepped
    /// over to the next whole record after it, so readings synced later are kept and their numbers not reused; damage
    /// with no whole record after it is the torn tail, which is cut (zeroed) so new records follow the last good one.
    /// Returns what was damaged, if anything.
    /// </summary>
    public string? Scan(Action<OutboxMessage, long, int> record)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Capacity);
        try
        {
            int read = RandomAccess.Read(_file, buffer.AsSpan(0, (int)Capacity), 0);
            var data = buffer.AsSpan(0, read);
            long offset = HeaderBytes;
            long previous = FirstSequence - 1;
            string? damage = null;
            while (offset < data.Length)
            {
                var frame = OutboxRecord.Read(data[(int)offset..], out var message, out int length, out string? problem);
                bool zerosToTheEnd = frame == RecordFrame.End && data[(int)offset..].IndexOfAnyExcept((byte)0) < 0;
                if (zerosToTheEnd)
                {
                    break;
                }

                if (frame == RecordFrame.Record && message!.Sequence > previous)
                {
                    record(message, offset, length);
                    previous = message.Sequence;
                    offset += length;
                    continue;
                }

                problem ??= frame == RecordFrame.End ? "a block of zeros" : $"sequence {message!.Sequence} after {previous}";
                if (NextRecord(data, offset + 1, previous) is { } next)
                {
                    damage = $"{problem} at byte {offset}; stepped over {next - offset} bytes to the next whole record";
                    offset = next;
                    continue;
                }

                int last = data[(int)offset..].LastIndexOfAnyExcept((byte)0);
                RandomAccess.Write(_file, new byte[last + 1], offset);
                Storage.FlushData(_file);
                End = offset;
                return $"{problem} at byte {offset}; cut {last + 1} bytes";
            }

            End = offset;
            return damage;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The place of the next whole record after damage, one that continues the numbering, or null.
    private static long? NextRecord(ReadOnlySpan<byte> data, long from, long previous)
    {
        for (long offset = from; offset + 12 <= data.Length; offset++)
        {
            if (data[(int)offset] == (byte)'L'
                && OutboxRecord.Read(data[(int)offset..], out var message, out _, out _) == RecordFrame.Record
                && message!.Sequence > previous)
            {
                return offset;
            }
        }

        return null;
    }

    public void Delete()
    {
        _file.Dispose();
        File.Delete(Path);
    }

    public void Dispose() => _file.Dispose();
}
