using System.Diagnostics;
using System.Text;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The worker as a person starts it: its own process, settings on the command line, the repository's
/// appsettings.json next to it. The program is the build <c>LABTELEMETRY_PUBLISHED_BUILD</c> names (CI: the
/// NativeAOT build of deploy/publish.sh, so every process test runs against what goes on the Pi), else the
/// net10.0 build the solution produced. Output is collected line by line.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private readonly Process _process;
    private readonly ScratchDirectory _outbox = new();
    private readonly StringBuilder _output = new();

    private WorkerProcess(IReadOnlyList<string> wrapper, IReadOnlyList<string> program, IEnumerable<string> args, IDictionary<string, string?> environment)
    {
        string[] command = [.. wrapper, .. program, .. WithOwnOutbox([.. args])];
        var start = new ProcessStartInfo(command[0], command[1..])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        // Nothing of the machine's or the test runner's own service leaks in: no /etc/labtelemetry, no systemd.
        foreach (string variable in (string[])["JOURNAL_STREAM", "NOTIFY_SOCKET", "SYSTEMD_EXEC_PID", "WATCHDOG_USEC", "WATCHDOG_PID", "INVOCATION_ID"])
        {
            start.Environment.Remove(variable);
        }

        start.Environment["CONFIGURATION_DIRECTORY"] = Path.Combine(_outbox.Path, "no-deployed-configuration");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("the worker did not start");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>Gets the outbox directory this worker was given.</summary>
    public string OutboxDirectory => _outbox.Path;

    /// <summary>Gets the resident memory in MiB, as <c>/proc/&lt;pid&gt;/status</c> reports it.</summary>
    public double ResidentMiB
    {
        get
        {
            string line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        }
    }

    /// <summary>Gets the CPU time the worker has used, user and system, from <c>/proc/&lt;pid&gt;/stat</c>.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            // Fields 14 and 15 (utime, stime), counted after the command name, which may hold spaces, in clock ticks of 10 ms.
            string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
    }

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

    public static WorkerProcess Start(params string[] args) => new([], DebugBuild(), args, new Dictionary<string, string?>());

    public static WorkerProcess Start(IDictionary<string, string?> environment, params string[] args) => new([], DebugBuild(), args, environment);

    /// <summary>Starts the worker through <paramref name="wrapper"/>, a command that ends by running the rest of its arguments.</summary>
    public static WorkerProcess StartWrapped(IReadOnlyList<string> wrapper, params string[] args) => new(wrapper, DebugBuild(), args, new Dictionary<string, string?>());

    /// <summary>Starts a published build: <paramref name="program"/> is its executable, possibly behind an emulator or a wrapper.</summary>
    public static WorkerProcess StartProgram(IReadOnlyList<string> wrapper, IReadOnlyList<string> program, IDictionary<string, string?> environment, params string[] args) =>
        new(wrapper, program, args, environment);

    /// <summary>Waits for the process to end; kills it and fails when it does not within <paramref name="within"/>.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw new TimeoutException($"the worker did not exit within {within}; output:\n{Output}");
        }

        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    /// <summary>Sends SIGKILL, as a crash or an out-of-memory kill would.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does.</summary>
    public Task InterruptAsync() => SignalAsync("INT");

    /// <summary>Sends SIGTERM, as systemctl stop does.</summary>
    public Task TerminateAsync() => SignalAsync("TERM");

    /// <summary>Sends <paramref name="signal"/> (a name such as HUP) to the worker.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _outbox.Dispose();
    }

    // A fresh outbox for each run, unless the test names one; after the command word, which must come first.
    private string[] WithOwnOutbox(string[] args)
    {
        if (args.Any(a => a.StartsWith("--Outbox:Directory", StringComparison.Ordinal)))
        {
            return args;
        }

        int command = args.Length > 0 && !args[0].StartsWith('-') && !args[0].Contains('=', StringComparison.Ordinal) ? 1 : 0;
        return [.. args[..command], $"--Outbox:Directory={_outbox.Path}", .. args[command..]];
    }

    internal static string[] DebugBuild()
    {
        if (Environment.GetEnvironmentVariable("LABTELEMETRY_PUBLISHED_BUILD") is { Length: > 0 } published)
        {
            return [Path.Combine(published, "LabTelemetry.Worker")];
        }

        string dll = RepositoryRoot.File("src", "LabTelemetry.Worker", "bin", Configuration, "net10.0", "LabTelemetry.Worker.dll");
        return File.Exists(dll) ? ["dotnet", dll] : throw new FileNotFoundException($"build the solution first (dotnet test LabTelemetry.sln does): {dll} is missing");
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
