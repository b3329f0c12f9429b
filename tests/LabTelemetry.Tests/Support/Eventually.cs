using System.Diagnostics;

namespace LabTelemetry.Tests.Support;

/// <summary>Waits for something that happens in real time, with a generous limit for a loaded 2-core machine.</summary>
internal static class Eventually
{
    public static Task<bool> TrueAsync(Func<bool> condition, TimeSpan? within = null) =>
        TrueAsync(() => Task.FromResult(condition()), within);

    /// <summary>As <see cref="TrueAsync(Func{bool}, TimeSpan?)"/>, for a condition that must itself ask over the network.</summary>
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(15);
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > limit)
            {
                return false;
            }

            // Between looks at something that happens in real time: a broker, a process, a loop on the thread pool.
            await Task.Delay(50);
        }

        return true;
    }
}
