using System.Buffers.Binary;
using System.IO.Hashing;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// A number kept in a small file of its own, written in turn into one of two checksummed slots so that a write torn
/// by a power cut leaves the other; the acknowledgement mark and the sequence reservation are two.
/// </summary>
internal sealed class NumberFile : IDisposable
{
    /// <summary>One slot: the number, big-endian, then the CRC-32 of those 8 bytes, then 4 zero bytes.</summary>
    public const int SlotBytes = 16;

    // On a disk too full to make the file, the number is kept in memory and the file made at the next flush that can.
    private readonly FileLayer _files;
    private readonly string _directory;
    private readonly string _path;
    private OutboxFile? _file;
    private int _slot;
    private bool _dirty;

    public NumberFile(FileLayer files, string directory, string name)
    {
        _files = files;
        _directory = directory;
        _path = Path.Combine(directory, name);
        try
        {
            Open();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _file = null; // kept in memory until a flush can make it
        }
    }

    /// <summary>Gets the number (0 when none was ever written).</summary>
    public long Value { get; private set; }

    /// <summary>Writes a larger number into the next slot, without a sync; a smaller or equal one changes nothing.</summary>
    public void Set(long value)
    {
        if (value <= Value)
        {
            return;
        }

        Value = value;
        _dirty = true;
        _file?.Write(Slot(value), _slot * SlotBytes);
        _slot ^= 1;
    }

    /// <summary>Writes a smaller number, without a sync: only for what is known exactly at a clean stop.</summary>
    public void Lower(long value)
    {
        if (value >= Value)
        {
            Set(value);
            return;
        }

        // Both slots, so that neither keeps the larger number.
        byte[] slot = Slot(value);
        Value = value;
        _dirty = true;
        _file?.Write([.. slot, .. slot], 0);
    }

    /// <summary>Puts the number on the storage device, when it changed since the last time; makes the file first when it could not be made before.</summary>
    public void Flush()
    {
        if (_file is null)
        {
            long value = Value;
            Open();
            Value = Math.Max(Value, value);
            _file!.Write(Slot(Value), 0);
            _dirty = true;
        }

        if (_dirty)
        {
            _file.FlushData();
            _dirty = false;
        }
    }

    public void Dispose() => _file?.Dispose();

    /// <summary>The bytes of a slot holding <paramref name="value"/>.</summary>
    public static byte[] Slot(long value)
    {
        byte[] slot = new byte[SlotBytes];
        BinaryPrimitives.WriteInt64BigEndian(slot, value);
        BinaryPrimitives.WriteUInt32BigEndian(slot.AsSpan(8), Crc32.HashToUInt32(slot.AsSpan(0, 8)));
        return slot;
    }

    // A file made here goes on the device with its directory, so that what is flushed into it later survives a power cut.
    private void Open()
    {
        bool made = !_files.Exists(_path);
        var file = _files.Open(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            if (made)
            {
                file.Write(new byte[SlotBytes * 2], 0);
                file.FlushData();
                _files.FlushDirectory(_directory);
            }

            byte[] slots = new byte[SlotBytes * 2];
            int read = file.Read(slots, 0);
            long a = Parse(slots.AsSpan(0, Math.Min(read, SlotBytes)));
            long b = read >= SlotBytes * 2 ? Parse(slots.AsSpan(SlotBytes, SlotBytes)) : 0;
            Value = Math.Max(a, b);
            _slot = a >= b ? 1 : 0;
            _file = file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static long Parse(ReadOnlySpan<byte> slot) =>
        slot.Length == SlotBytes && BinaryPrimitives.ReadUInt32BigEndian(slot[8..]) == Crc32.HashToUInt32(slot[..8])
            ? Math.Max(0, BinaryPrimitives.ReadInt64BigEndian(slot))
            : 0;
}
