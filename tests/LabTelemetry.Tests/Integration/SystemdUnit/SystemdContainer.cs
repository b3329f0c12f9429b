using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration.SystemdUnit;

/// <summary>
/// A Debian bookworm container with systemd as its PID 1, booted by <c>container.sh</c> from the cached root for one
/// test and powered off afterwards; <c>--volatile=overlay</c> makes each boot start from the same clean root.
/// </summary>
internal sealed class SystemdContainer : IAsyncDisposable
{
    private readonly ScratchDirectory _state = new();

    private SystemdContainer()
    {
    }

    public static string Script { get; } = RepositoryRoot.File("tests", "LabTelemetry.Tests", "Integration", "SystemdUnit", "container.sh");

    /// <summary>Boots a container with <paramref name="build"/> bound read-only at <c>/mnt/build</c>.</summary>
    public static async Task<SystemdContainer> BootAsync(string build)
    {
        var container = new SystemdContainer();
        var boot = await HostCommand.RunAsync(Script, ["boot", container._state.Path, build], TimeSpan.FromSeconds(60));
        if (boot.ExitCode != 0)
        {
            await container.DisposeAsync();
            throw new InvalidOperationException($"container.sh boot failed ({boot.ExitCode}): {boot.Output}");
        }

        return container;
    }

    /// <summary>Runs a bash script as root inside the container.</summary>
    public Task<CommandResult> RunAsync(string script, TimeSpan? within = null) =>
        HostCommand.RunAsync(Script, ["exec", _state.Path, "bash", "-c", script], within ?? TimeSpan.FromSeconds(30));

    /// <summary>Starts a bash script inside without waiting for it; its output is read as it comes.</summary>
    public RunningCommand Start(string script) => RunningCommand.Start(Script, ["exec", _state.Path, "bash", "-c", script]);

    /// <summary>Powers it off and waits until nspawn has exited.</summary>
    public async Task StopAsync()
    {
        await HostCommand.RunAsync(Script, ["stop", _state.Path], TimeSpan.FromSeconds(60));
        _state.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
