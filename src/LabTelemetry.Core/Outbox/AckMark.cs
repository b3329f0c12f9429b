using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// The highest sequence number the broker has acknowledged, all before it being acknowledged too (the sender goes
/// in order). Written in place at every acknowledgement without a sync, into one of two checksummed slots in turn,
/// so a torn write leaves the other: a process crash loses nothing (the page cache has it), a power cut at most
/// what was acknowledged since the last sync, which is sent again. Synced before a segment is deleted, so the
/// numbering never goes back.
/// </summary>
internal sealed class AckMark : IDisposable
{
    public const string FileName = "acked";

    private const int SlotBytes = 16;
    private readonly SafeFileHandle _file;
    private int _slot;
    private bool _dirty;

    public AckMark(string directory)
    {
        _file = File.OpenHandle(Path.Combine(directory, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        byte[] slots = new byte[SlotBytes * 2];
        int read = RandomAccess.Read(_file, slots, 0);
        long a = Parse(slots.AsSpan(0, Math.Min(read, SlotBytes)));
        long b = read >= SlotBytes * 2 ? Parse(slots.AsSpan(SlotBytes, SlotBytes)) : 0;
        Acknowledged = Math.Max(a, b);
        _slot = a >= b ? 1 : 0;
    }

    /// <summary>Gets the highest sequence acknowledged (0 when none ever was).</summary>
    public long Acknowledged { get; private set; }

    public void Set(long sequence)
    {
        if (sequence <= Acknowledged)
        {
            return;
        }

        byte[] slot = new byte[SlotBytes];
        BinaryPrimitives.WriteInt64BigEndian(slot, sequence);
        BinaryPrimitives.WriteUInt32BigEndian(slot.AsSpan(8), Crc32.HashToUInt32(slot.AsSpan(0, 8)));
        RandomAccess.Write(_file, slot, _slot * SlotBytes);
        _slot ^= 1;
        Acknowledged = sequence;
        _dirty = true;
    }

    /// <summary>Puts the mark on the storage device, when it changed since the last time.</summary>
    public void Flush()
    {
        if (_dirty)
        {
            FileSync.FlushData(_file);
            _dirty = false;
        }
    }

    public void Dispose() => _file.Dispose();

    private static long Parse(ReadOnlySpan<byte> slot) =>
        slot.Length == SlotBytes && BinaryPrimitives.ReadUInt32BigEndian(slot[8..]) == Crc32.HashToUInt32(slot[..8])
            ? Math.Max(0, BinaryPrimitives.ReadInt64BigEndian(slot))
            : 0;
}
