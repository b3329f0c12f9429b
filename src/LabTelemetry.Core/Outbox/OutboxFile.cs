using Microsoft.Win32.SafeHandles;

namespace LabTelemetry.Core.Outbox;

/// <summary>One open file of the outbox, read and written at offsets.</summary>
internal class OutboxFile(string path, SafeFileHandle handle) : IDisposable
{
    public string Path { get; } = path;

    public virtual long Length => RandomAccess.GetLength(handle);

    public virtual int Read(Span<byte> buffer, long offset) => RandomAccess.Read(handle, buffer, offset);

    public virtual void Write(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(handle, data, offset);

    /// <summary>Puts the file's data on the storage device (<c>fdatasync</c>).</summary>
    public virtual void FlushData() => FileSync.FlushData(handle);

    public void Dispose()
    {
        handle.Dispose();
        GC.SuppressFinalize(this);
    }
}
