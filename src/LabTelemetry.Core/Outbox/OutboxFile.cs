using Microsoft.Win32.SafeHandles;

namespace LabTelemetry.Core.Outbox;

/// <summary>One open file of the outbox, read and written at offsets.</summary>
/// <param name="handle">The open file; <see langword="null"/> for a test's file that wraps another and overrides every member.</param>
internal class OutboxFile(string path, SafeFileHandle? handle) : IDisposable
{
    public string Path { get; } = path;

    public virtual long Length => RandomAccess.GetLength(handle!);

    public virtual int Read(Span<byte> buffer, long offset) => RandomAccess.Read(handle!, buffer, offset);

    public virtual void Write(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(handle!, data, offset);

    /// <summary>Puts the file's data on the storage device (<c>fdatasync</c>).</summary>
    public virtual void FlushData() => FileSync.FlushData(handle!);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) => handle?.Dispose();
}
