using System.Runtime.InteropServices;

namespace LabTelemetry.Core.Device;

/// <summary>
/// The address burnt into a card (ethtool's "permanent address"), which NetworkManager's MAC randomisation never changes,
/// unlike <c>/sys/class/net/IFACE/address</c>; read with the <c>SIOCETHTOOL</c> ioctl's <c>ETHTOOL_GPERMADDR</c>.
/// </summary>
public static partial class PermanentAddress
{
    private const int AfInet = 2;
    private const int SockDgram = 2;
    private const uint SiocEthtool = 0x8946;
    private const uint EthtoolGetPermanentAddress = 0x20;
    private const int InterfaceNameSize = 16;
    private const int MaxAddressLength = 32;

    /// <summary>The permanent address of <paramref name="interfaceName"/>, or <see langword="null"/> when it has none (veth, dummy) or cannot be read.</summary>
    public static byte[]? Read(string interfaceName)
    {
        if (!OperatingSystem.IsLinux() || interfaceName.Length >= InterfaceNameSize)
        {
            return null;
        }

        try
        {
            return Query(interfaceName);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The address that names the device: the permanent one when the card has one, else the one it uses now.</summary>
    public static byte[] Choose(byte[]? permanent, byte[] current) =>
        permanent is { Length: > 0 } && permanent.Length == current.Length && permanent.Any(b => b != 0) ? permanent : current;

    private static unsafe byte[]? Query(string interfaceName)
    {
        int socket = Socket(AfInet, SockDgram, 0);
        if (socket < 0)
        {
            return null;
        }

        try
        {
            // struct ethtool_perm_addr { u32 cmd; u32 size; u8 data[size]; }; the kernel writes the length it filled in.
            byte* request = stackalloc byte[8 + MaxAddressLength];
            new Span<byte>(request, 8 + MaxAddressLength).Clear();
            ((uint*)request)[0] = EthtoolGetPermanentAddress;
            ((uint*)request)[1] = MaxAddressLength;

            // struct ifreq: the name in 16 bytes, then a union whose ifr_data points at the request; 40 bytes on 64-bit.
            byte* ifreq = stackalloc byte[64];
            new Span<byte>(ifreq, 64).Clear();
            for (int i = 0; i < interfaceName.Length; i++)
            {
                ifreq[i] = (byte)interfaceName[i];
            }

            *(byte**)(ifreq + InterfaceNameSize) = request;
            if (Ioctl(socket, SiocEthtool, ifreq) < 0)
            {
                return null;
            }

            uint length = ((uint*)request)[1];
            return length is > 0 and <= MaxAddressLength ? new Span<byte>(request + 8, (int)length).ToArray() : null;
        }
        finally
        {
            _ = Close(socket);
        }
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int Ioctl(int fd, nuint request, byte* argument);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
