using LabTelemetry.Core.Outbox;

namespace LabTelemetry.Tests.Support;

/// <summary>
/// The outbox's file layer as a power cut leaves it, after LevelDB's and RocksDB's fault-injection environments: files
/// are really written, but only what was synced counts. A file's data is kept as of its last <c>fdatasync</c>, a
/// directory's entries as of its last <c>fsync</c>; <see cref="CutPower"/> writes exactly that into another directory.
/// </summary>
internal sealed class PowerCutFiles : FileLayer
{
    private readonly object _lock = new();
    private readonly Dictionary<string, int> _identities = new(StringComparer.Ordinal);
    private readonly Dictionary<int, byte[]> _synced = [];
    private readonly Dictionary<string, Dictionary<string, int>> _directories = new(StringComparer.Ordinal);
    private int _next;
    private int _syncs;

    /// <summary>Gets how many times a file's data was synced (<c>fdatasync</c>), whichever file.</summary>
    public int Syncs => Volatile.Read(ref _syncs);

    /// <summary>Gets the names of the files synced, one entry a sync, oldest first.</summary>
    public List<string> Synced { get; } = [];

    public override OutboxFile Open(string path, FileMode mode, FileAccess access, FileShare share)
    {
        lock (_lock)
        {
            if (!_identities.ContainsKey(path))
            {
                _identities[path] = ++_next;
            }
        }

        // Read too: a sync takes a copy of what the file holds.
        return new SyncedFile(this, path, base.Open(path, mode, FileAccess.ReadWrite, share));
    }

    public override void Move(string from, string to)
    {
        base.Move(from, to);
        lock (_lock)
        {
            _identities[to] = _identities[from];
            _identities.Remove(from);
        }
    }

    public override void Delete(string path)
    {
        base.Delete(path);
        lock (_lock)
        {
            _identities.Remove(path);
        }
    }

    public override void FlushDirectory(string directory)
    {
        base.FlushDirectory(directory);
        lock (_lock)
        {
            _directories[directory] = _identities
                .Where(i => string.Equals(Path.GetDirectoryName(i.Key), directory.TrimEnd('/'), StringComparison.Ordinal))
                .ToDictionary(i => Path.GetFileName(i.Key), i => i.Value, StringComparer.Ordinal);
        }
    }

    /// <summary>Writes into <paramref name="image"/> what the device holds of <paramref name="directory"/>: the names last synced, each with the data last synced.</summary>
    public void CutPower(string directory, string image)
    {
        lock (_lock)
        {
            Directory.CreateDirectory(image);
            foreach (var (name, identity) in _directories.GetValueOrDefault(directory.TrimEnd('/')) ?? [])
            {
                File.WriteAllBytes(Path.Combine(image, name), _synced.GetValueOrDefault(identity) ?? []);
            }
        }
    }

    private void Keep(string path, byte[] data)
    {
        lock (_lock)
        {
            _synced[_identities[path]] = data;
            Synced.Add(Path.GetFileName(path));
            Interlocked.Increment(ref _syncs);
        }
    }

    /// <summary>A file whose data, at each sync, is what the device holds of it from then on.</summary>
    private sealed class SyncedFile(PowerCutFiles layer, string path, OutboxFile file) : OutboxFile(path, null)
    {
        public override long Length => file.Length;

        public override int Read(Span<byte> buffer, long offset) => file.Read(buffer, offset);

        public override void Write(ReadOnlySpan<byte> data, long offset) => file.Write(data, offset);

        public override void FlushData()
        {
            file.FlushData();
            byte[] data = new byte[file.Length];
            file.Read(data, 0);
            layer.Keep(Path, data);
        }

        protected override void Dispose(bool disposing)
        {
            file.Dispose();
            base.Dispose(disposing);
        }
    }
}
