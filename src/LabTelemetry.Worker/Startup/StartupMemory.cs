using System.Globalization;
using System.Runtime.InteropServices;

namespace LabTelemetry.Worker.Startup;

/// <summary>
/// Hands back to the system the memory start-up used once. Reading configuration, building the container, recovering
/// the outbox and the first connection leave megabytes of garbage in the heap, which the collector keeps committed
/// for reuse, and they touch code and read-only data in the executable that the loops never run again, which stay
/// mapped. Shortly after the host has started, one aggressive collection compacts the survivors and decommits the
/// rest, and the executable's read-only pages are paged out: the kernel maps back, from its page cache or the card,
/// each page a loop touches later. Measured in bench/ (docs/PERFORMANCE.md, Memory).
/// </summary>
internal sealed partial class StartupMemory(IHostApplicationLifetime lifetime, TimeProvider timeProvider, Action? release = null) : IHostedService, IDisposable
{
    /// <summary>Long enough for the loops' first turn (first reading, first connect); short of the first minute.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    private const int MadvPageout = 21; // Linux 5.4+; an older kernel answers EINVAL and keeps the pages.

    private readonly Action _release = release ?? Release;
    private CancellationTokenRegistration _started;
    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = lifetime.ApplicationStarted.Register(() => _timer = timeProvider.CreateTimer(_ => _release(), null, Delay, Timeout.InfiniteTimeSpan));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _started.Dispose();
        _timer?.Dispose();
    }

    /// <summary>The executable's mappings that are not writable (code, read-only data), from <c>/proc/self/maps</c> lines.</summary>
    internal static IEnumerable<(nint Start, nint Length)> ReadOnlyImage(IEnumerable<string> maps, string image)
    {
        foreach (string line in maps)
        {
            // 55d0c1a00000-55d0c1b2c000 r-xp 0001f000 fe:00 11657217   /opt/labtelemetry/LabTelemetry.Worker
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 6 && fields[1][1] == '-' && fields[5].Trim() == image)
            {
                string[] range = fields[0].Split('-');
                long start = long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                long end = long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                yield return ((nint)start, (nint)(end - start));
            }
        }
    }

    // Aggressive: blocking and compacting, and the collector decommits every page it can, not only what its budget
    // says it will not reuse soon. A few milliseconds, once. Paging out is advice: if the kernel refuses, nothing changes.
    private static void Release()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (!OperatingSystem.IsLinux() || Environment.ProcessPath is not { } image)
        {
            return;
        }

        try
        {
            foreach (var (start, length) in ReadOnlyImage(File.ReadLines("/proc/self/maps"), image))
            {
                _ = Madvise(start, length, MadvPageout);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No /proc: the pages stay; only memory is at stake.
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nint length, int advice);
}
