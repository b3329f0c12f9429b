using System.Runtime.InteropServices;

namespace LabTelemetry.Worker.Diagnostics;

/// <summary>
/// Whether the kernel considers the clock synchronised. A Pi has no real-time clock: until NTP has set it after
/// boot, it runs from the last shutdown's time.
/// </summary>
internal static partial class ClockCheck
{
    private const int TimeError = 5; // adjtimex's TIME_ERROR: the clock is not synchronised (STA_UNSYNC)

    public static CheckLine Run()
    {
        int state;
        try
        {
            // A zeroed struct timex (modes = 0) only reads the state; 512 bytes covers it on every architecture.
            Span<byte> timex = stackalloc byte[512];
            timex.Clear();
            state = Adjtimex(timex);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            state = -1;
        }

        return state switch
        {
            TimeError => CheckLine.Bad("the clock is not synchronised", "the Pi needs NTP after every boot: check `timedatectl` and that the network reaches an NTP server"),
            < 0 => CheckLine.Info("cannot tell whether the clock is synchronised (see `timedatectl`)"),
            _ => CheckLine.Good("the clock is synchronised"),
        };
    }

    [LibraryImport("libc", EntryPoint = "adjtimex", SetLastError = true)]
    private static partial int Adjtimex(Span<byte> timex);
}
