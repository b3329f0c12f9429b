using System.Runtime.InteropServices;
using System.Text;

namespace LabTelemetry.Core.Gpio;

/// <summary>The kernel's GPIO character device (<c>/dev/gpiochipN</c>) asked, by its v1 ioctls, for its label and a line's owner.</summary>
internal static partial class ChipDevice
{
    private const int ReadWrite = 2;
    private const int CloseOnExec = 0x80000; // the same on x86-64 and arm64

    // _IOR(0xB4, 0x01, struct gpiochip_info): name[32], label[32], u32 lines.
    private const uint GetChipInfo = 0x8044B401;

    // _IOWR(0xB4, 0x02, struct gpioline_info): u32 offset, u32 flags, name[32], consumer[32].
    private const uint GetLineInfo = 0xC048B402;

    // GPIOLINE_FLAG_KERNEL: the line is requested, by the kernel or by a process.
    private const uint LineUsed = 1;

    /// <summary>The chip's name (<c>gpiochip0</c>), label (<c>pinctrl-bcm2711</c>) and number of lines.</summary>
    /// <exception cref="IOException">The node cannot be opened or is no GPIO chip.</exception>
    public static unsafe (string Name, string Label, int Lines) Info(string path)
    {
        byte* info = stackalloc byte[68];
        Ask(path, GetChipInfo, info);
        return (Text(info, 32), Text(info + 32, 32), *(int*)(info + 64));
    }

    /// <summary>Whether a line is held, and by whom (its consumer name; empty when the kernel gave none).</summary>
    public static unsafe (bool Used, string Consumer) Line(string path, int line)
    {
        byte* info = stackalloc byte[72];
        new Span<byte>(info, 72).Clear();
        *(uint*)info = (uint)line;
        Ask(path, GetLineInfo, info);
        return ((*(uint*)(info + 4) & LineUsed) != 0, Text(info + 40, 32));
    }

    private static unsafe void Ask(string path, uint request, byte* buffer)
    {
        int fd = open(path, ReadWrite | CloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"cannot open {path}: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        try
        {
            if (ioctl(fd, request, buffer) != 0)
            {
                throw new IOException($"{path}: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    private static unsafe string Text(byte* bytes, int length)
    {
        var span = new ReadOnlySpan<byte>(bytes, length);
        int end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int ioctl(int fd, nuint request, byte* argument);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);
}
