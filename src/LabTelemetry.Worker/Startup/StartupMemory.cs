using System.Globalization;
using System.Runtime.InteropServices;

namespace LabTelemetry.Worker.Startup;

/// <summary>
/// Hands back to the system the memory start-up used once: shortly after the host has started, one compacting
/// collection and the executable's read-only pages paged out (docs/PERFORMANCE.md, Memory).
/// </summary>
internal sealed partial class StartupMemory(IHostApplicationLifetime lifetime, TimeProvider timeProvider, ILogger<StartupMemory> logger, Action? release = null) : IHostedService, IDisposable
{
    /// <summary>Long enough for the loops' first turn (first reading, first connect); short of the first minute.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    private const int MadvPageout = 21; // Linux 5.4+; an older kernel answers EINVAL and keeps the pages.

    // Configuration, the container, the outbox's recovery and the first connect leave megabytes of garbage the collector
    // keeps committed, and touch code the loops never run again; the kernel maps back each page a loop touches later.
    private CancellationTokenRegistration _started;
    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = lifetime.ApplicationStarted.Register(() => _timer = timeProvider.CreateTimer(_ => (release ?? Release)(), null, Delay, Timeout.InfiniteTimeSpan));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _started.Dispose();
        _timer?.Dispose();
    }

    /// <summary>
    /// The executable's mappings that are not writable and hold no page of its own (<c>Anonymous: 0 kB</c>), from
    /// <c>/proc/self/smaps</c>: code and read-only data, which the kernel can always read again from the file. The
    /// relocated read-only data (RELRO) is a private copy: paged out it would go to swap, on a Pi the SD card.
    /// </summary>
    internal static IEnumerable<(nint Start, nint Length)> CleanReadOnlyImage(IEnumerable<string> smaps, string image)
    {
        (long Start, long End)? candidate = null;
        foreach (string line in smaps)
        {
            // 55d0c1a00000-55d0c1b2c000 r-xp 0001f000 fe:00 11657217   /opt/labtelemetry/LabTelemetry.Worker
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-', StringComparison.Ordinal) && fields[1].Length == 4)
            {
                candidate = null;
                if (fields.Length == 6 && fields[1][1] == '-' && fields[5].Trim() == image)
                {
                    string[] range = fields[0].Split('-');
                    candidate = (long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
            else if (candidate is { } mapping && fields is ["Anonymous:", var kib, "kB"])
            {
                candidate = null;
                if (kib == "0")
                {
                    yield return ((nint)mapping.Start, (nint)(mapping.End - mapping.Start));
                }
            }
        }
    }

    // Aggressive: blocking and compacting, and the collector decommits every page it can, not only what its budget
    // says it will not reuse soon. A few milliseconds, once. Paging out is advice: if the kernel refuses, nothing
    // changes. It runs on a timer thread, where an exception would end the process: only memory is at stake here.
    private void Release()
    {
        try
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            if (!OperatingSystem.IsLinux() || Environment.ProcessPath is not { } image)
            {
                return;
            }

            foreach (var (start, length) in CleanReadOnlyImage(File.ReadLines("/proc/self/smaps"), image))
            {
                if (Madvise(start, length, MadvPageout) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    Log.NotPagedOut(logger, errno);
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            Log.NotReleased(logger, ex.Message);
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nint length, int advice);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Start-up's code pages stay mapped: madvise(MADV_PAGEOUT) failed with errno {Errno} (a kernel older than 5.4?)")]
        public static partial void NotPagedOut(ILogger logger, int errno);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Start-up's memory not handed back: {Problem}")]
        public static partial void NotReleased(ILogger logger, string problem);
    }
}
