using LabTelemetry.Worker.Startup;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LabTelemetry.Tests.Worker.Startup;

/// <summary>Start-up's memory is handed back once, a little after the host has started, and not before.</summary>
public sealed class StartupMemoryTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ApplicationLifetime _lifetime = new(NullLogger<ApplicationLifetime>.Instance);
    private int _releases;

    [Fact]
    public async Task Releases_Once_TheDelayAfterTheHostHasStarted()
    {
        using var memory = new StartupMemory(_lifetime, _time, NullLogger<StartupMemory>.Instance, () => _releases++);
        await memory.StartAsync(CancellationToken.None);
        _lifetime.NotifyStarted();

        _time.Advance(StartupMemory.Delay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, _releases);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _releases);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, _releases);
    }

    [Fact]
    public async Task DoesNothing_WhileTheHostIsStillStarting()
    {
        using var memory = new StartupMemory(_lifetime, _time, NullLogger<StartupMemory>.Instance, () => _releases++);
        await memory.StartAsync(CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(0, _releases);
    }

    [Fact]
    public void CleanReadOnlyImage_IsTheExecutablesReadOnlyMappingsWithoutPagesOfTheirOwn()
    {
        string[] smaps =
        [
            "55d0c1800000-55d0c181f000 r--p 00000000 fe:00 1165 /opt/lab telemetry/LabTelemetry.Worker",
            "Size:                124 kB",
            "Anonymous:             0 kB",
            "55d0c181f000-55d0c20f9000 r-xp 0001f000 fe:00 1165 /opt/lab telemetry/LabTelemetry.Worker",
            "Rss:                4752 kB",
            "Anonymous:             0 kB",
            "VmFlags: rd ex mr mw me",
            "55d0c20f9000-55d0c2869000 r--p 008fa000 fe:00 1165 /opt/lab telemetry/LabTelemetry.Worker",
            "Anonymous:             0 kB",
            "55d0c2869000-55d0c286a000 r--p 01069000 fe:00 1165 /opt/lab telemetry/LabTelemetry.Worker", // RELRO: relocated, our own copy
            "Anonymous:             4 kB",
            "55d0c286a000-55d0c28b4000 rw-p 0106a000 fe:00 1165 /opt/lab telemetry/LabTelemetry.Worker",
            "Anonymous:           148 kB",
            "55d0c28b4000-55d0c2d06000 rw-p 00000000 00:00 0 ",
            "Anonymous:          2548 kB",
            "7f12a0000000-7f12a0028000 r-xp 00028000 fe:00 2201 /usr/lib/x86_64-linux-gnu/libc.so.6",
            "Anonymous:             0 kB",
            "7f12a1000000-7f12a1001000 r--p 00000000 fe:00 1166 /opt/lab telemetry/LabTelemetry.Worker (deleted)",
            "Anonymous:             0 kB",
        ];

        var ranges = StartupMemory.CleanReadOnlyImage(smaps, "/opt/lab telemetry/LabTelemetry.Worker").Select(r => ((long)r.Start, (long)r.Length)).ToList();

        Assert.Equal([(0x55d0c1800000L, 0x1f000L), (0x55d0c181f000L, 0x8da000L), (0x55d0c20f9000L, 0x770000L)], ranges);
    }

    [Fact]
    public void CleanReadOnlyImage_OfThisProcess_FindsItsCode()
    {
        string image = Environment.ProcessPath!;

        var ranges = StartupMemory.CleanReadOnlyImage(File.ReadLines("/proc/self/smaps"), image).ToList();

        Assert.NotEmpty(ranges);
        Assert.All(ranges, range => Assert.True(range.Length > 0 && range.Length % Environment.SystemPageSize == 0));
    }
}
