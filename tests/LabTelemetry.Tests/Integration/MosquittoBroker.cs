using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// A real Mosquitto on a free loopback port, started for the tests and stopped after them.
/// <c>.ci/run</c> installs it from Debian; without it these tests fail and say so, never pass silently.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    private const string Executable = "/usr/sbin/mosquitto";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "labtelemetry-mosquitto", Guid.NewGuid().ToString("N"));
    private Process? _process;

    private readonly string[] _extraConfig;

    private MosquittoBroker(int port, string address, string[] extraConfig)
    {
        Port = port;
        Address = address;
        _extraConfig = extraConfig;
    }

    public int Port { get; }

    /// <summary>Gets the address the broker listens on (loopback, unless a test gives its own test host's).</summary>
    public string Address { get; }

    public static string Host => "127.0.0.1";

    /// <summary>Starts a broker on a free loopback port.</summary>
    public static Task<MosquittoBroker> StartAsync(params string[] extraConfig) => StartAsync(FreePort(), Host, extraConfig);

    /// <summary>Starts a broker that keeps sessions and queued messages across its own restarts.</summary>
    public static Task<MosquittoBroker> StartPersistentAsync() => StartAsync(FreePort(), Host, PersistenceConfig());

    /// <summary>Starts a broker that accepts only <paramref name="user"/> with <paramref name="password"/>.</summary>
    public static async Task<MosquittoBroker> StartWithLoginAsync(string user, string password)
    {
        string directory = Path.Combine(Path.GetTempPath(), "labtelemetry-mosquitto-passwords", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string passwordFile = Path.Combine(directory, "passwd");
        using (var add = Process.Start("mosquitto_passwd", ["-b", "-c", passwordFile, user, password])!)
        {
            await add.WaitForExitAsync().ConfigureAwait(false);
        }

        // Readable by the mosquitto user the broker drops to when started as root.
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(passwordFile, (UnixFileMode)0b110_100_100);
        return await StartAsync(0, Host, $"password_file {passwordFile}", "allow_anonymous false").ConfigureAwait(false);
    }

    /// <summary>
    /// A broker that logs every packet (<c>log_type all</c>) to a file the test reads, so it can count what the
    /// worker sends: CONNECTs, PINGREQs, PUBLISHes. Not started: write its files first (<see cref="WriteFile"/>).
    /// </summary>
    public static MosquittoBroker Logging(params string[] extraConfig) => LoggingAt(Host, extraConfig);

    /// <summary>As <see cref="Logging"/>, listening on <paramref name="address"/> (a test host's of its own).</summary>
    public static MosquittoBroker LoggingAt(string address, params string[] extraConfig) =>
        new(FreePort(), address, ["log_type all", "log_dest file {dir}/mosquitto.log", "log_timestamp false", .. extraConfig]);

    /// <summary>A broker that is not running yet: its port is reserved for <see cref="StartAgainAsync"/>.</summary>
    public static MosquittoBroker NotStarted(bool persistent = false) => new(FreePort(), Host, persistent ? PersistenceConfig() : []);

    /// <summary>Starts a broker on <paramref name="address"/>; port 0 takes a free one.</summary>
    public static async Task<MosquittoBroker> StartAsync(int port, string address, params string[] extraConfig)
    {
        var broker = new MosquittoBroker(port == 0 ? FreePort() : port, address, extraConfig);
        await broker.StartAgainAsync().ConfigureAwait(false);
        return broker;
    }

    /// <summary>Starts the broker (again) on the same port, with the same configuration.</summary>
    public async Task StartAgainAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install Debian's mosquitto (apt-get install mosquitto); .ci/run does.");
        }

        Directory.CreateDirectory(_directory);

        // Started as root, mosquitto drops to its own user: let it save its database here.
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_111_111);
        string config = Path.Combine(_directory, "mosquitto.conf");
        string[] persistence = _extraConfig.Any(l => l.StartsWith("persistence ", StringComparison.Ordinal)) ? [] : ["persistence false"];
        string[] lines = [$"listener {Port} {Address}", "allow_anonymous true", .. persistence, .. _extraConfig.Select(l => l.Replace("{dir}", _directory, StringComparison.Ordinal))];
        await File.WriteAllLinesAsync(config, lines).ConfigureAwait(false);
        _process = Process.Start(new ProcessStartInfo(Executable, ["-c", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("mosquitto did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilListeningAsync().ConfigureAwait(false);
    }

    /// <summary>Writes a file the configuration names as <c>{dir}/name</c> (an ACL file, say), readable by the broker's user.</summary>
    public void WriteFile(string name, params string[] lines)
    {
        Directory.CreateDirectory(_directory);
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_111_111);
        string path = Path.Combine(_directory, name);
        File.WriteAllLines(path, lines);
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
    }

    /// <summary>Gets the lines of the broker's log so far (with <see cref="Logging"/>).</summary>
    public IReadOnlyList<string> LogLines()
    {
        string path = Path.Combine(_directory, "mosquitto.log");
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Counts the log lines that start with <paramref name="prefix"/>, such as <c>Received PINGREQ from</c>.</summary>
    public int Count(string prefix) => LogLines().Count(l => l.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Sends <paramref name="signal"/> to the broker: STOP and CONT stall and resume it, HUP reloads its ACL.</summary>
    public async Task SignalAsync(string signal)
    {
        if (_process is not { HasExited: false } process || process.Id <= 0)
        {
            throw new InvalidOperationException("the broker is not running");
        }

        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the broker: killed as a crash would, or with SIGTERM, which lets it save its sessions.</summary>
    public async Task StopAsync(bool graceful = false)
    {
        if (_process is { HasExited: false })
        {
            if (graceful)
            {
                using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await term.WaitForExitAsync().ConfigureAwait(false);
            }
            else
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static string[] PersistenceConfig() => ["persistence true", "persistence_location {dir}/", "autosave_interval 1"];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with code {_process.ExitCode} on port {Port}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(Address, Port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                // Between tries to connect to mosquitto, which is starting.
                await Task.Delay(50).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"mosquitto did not listen on {Host}:{Port} within 10 s");
    }
}
