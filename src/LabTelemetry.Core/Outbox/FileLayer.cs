namespace LabTelemetry.Core.Outbox;

/// <summary>
/// Everything the outbox does to files, in one place: a test puts in its place one that loses what was not synced,
/// as a power cut does (as LevelDB's and RocksDB's fault-injection environments do).
/// </summary>
internal class FileLayer
{
    /// <summary>The machine's own file system.</summary>
    public static readonly FileLayer Disk = new();

    public virtual OutboxFile Open(string path, FileMode mode, FileAccess access, FileShare share) =>
        new(path, File.OpenHandle(path, mode, access, share));

    public virtual IEnumerable<string> Entries(string directory) => Directory.EnumerateFileSystemEntries(directory);

    public virtual bool Exists(string path) => File.Exists(path);

    /// <summary>Whether the file is there: throws as <see cref="File.GetAttributes(string)"/> does when it is not, or may not be seen.</summary>
    public virtual void Look(string path) => File.GetAttributes(path);

    /// <summary>Renames, never over another file.</summary>
    public virtual void Move(string from, string to) => File.Move(from, to, overwrite: false);

    public virtual void Delete(string path) => File.Delete(path);

    public virtual void CreateDirectory(string path) => Directory.CreateDirectory(path);

    /// <summary>Puts the directory's entries (files made, renamed, removed) on the storage device.</summary>
    public virtual void FlushDirectory(string directory) => FileSync.FlushDirectory(directory);
}
