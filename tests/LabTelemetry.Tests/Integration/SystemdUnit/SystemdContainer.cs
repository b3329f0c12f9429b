using System.Diagnostics;
using System.Text;
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

/// <summary>What a finished command returned and printed.</summary>
internal sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
{
    public string Output => StandardOutput + StandardError;
}

/// <summary>Runs a program on this machine and collects its output.</summary>
internal static class HostCommand
{
    public static async Task<CommandResult> RunAsync(string program, IEnumerable<string> args, TimeSpan within)
    {
        await using var command = RunningCommand.Start(program, args);
        return await command.WaitAsync(within);
    }
}

/// <summary>A command started on this machine, its output gathered while it runs.</summary>
internal sealed class RunningCommand : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    private RunningCommand(Process process) => _process = process;

    /// <summary>Gets what it has printed on standard output so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static RunningCommand Start(string program, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        var command = new RunningCommand(new Process { StartInfo = start });
        command._process.OutputDataReceived += (_, e) => Append(command._output, e.Data);
        command._process.ErrorDataReceived += (_, e) => Append(command._error, e.Data);
        command._process.Start();
        command._process.BeginOutputReadLine();
        command._process.BeginErrorReadLine();
        return command;
    }

    /// <summary>Waits for it to end; past <paramref name="within"/> it is killed, and the result says so.</summary>
    public async Task<CommandResult> WaitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        int exitCode;
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            exitCode = _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await EndAsync();
            exitCode = -1;
            Append(_error, $"(ended after {within.TotalSeconds:0.#} s)");
        }

        string error;
        lock (_error)
        {
            error = _error.ToString();
        }

        return new CommandResult(exitCode, Output, error, _watch.Elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await EndAsync();
        }

        _process.Dispose();
    }

    // SIGTERM first: container.sh then ends the command inside the container, where it must be reaped.
    private async Task EndAsync()
    {
        if (_process.Id > 1)
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
        }

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (text)
        {
            text.Append(line).Append('\n');
        }
    }
}
