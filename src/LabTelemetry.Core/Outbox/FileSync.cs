using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LabTelemetry.Core.Outbox;

/// <summary>
/// The two syncs .NET does not offer: <c>fdatasync</c> of a file, and <c>fsync</c> of a directory, which makes a
/// file's creation, rename or removal survive a power cut.
/// </summary>
internal static partial class FileSync
{
    // O_RDONLY, which opens a directory too. Not O_DIRECTORY: its value differs between x86-64 and arm64 (where
    // x86-64's value means O_DIRECT, which a directory refuses).
    private const int ReadOnly = 0;

    // Data without timestamps: an append into preallocated space then costs its data block alone.
    public static void FlushData(SafeFileHandle file)
    {
        if (fdatasync(file) != 0)
        {
            throw new IOException($"fdatasync failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    public static void FlushDirectory(string directory)
    {
        int fd = open(directory, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"cannot open {directory}: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                throw new IOException($"fsync of {directory} failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
