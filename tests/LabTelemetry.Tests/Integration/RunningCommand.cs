using System.Diagnostics;
using System.Text;

namespace LabTelemetry.Tests.Integration;

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
