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

    private MosquittoBroker(int port) => Port = port;

    public int Port { get; }

    public static string Host => "127.0.0.1";

    public static async Task<MosquittoBroker> StartAsync(int? port = null, params string[] extraConfig)
    {
        var broker = new MosquittoBroker(port ?? FreePort());
        await broker.StartAgainAsync(extraConfig).ConfigureAwait(false);
        return broker;
    }

    /// <summary>Starts the broker (again) on the same port.</summary>
    public async Task StartAgainAsync(params string[] extraConfig)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install Debian's mosquitto (apt-get install mosquitto); .ci/run does.");
        }

        Directory.CreateDirectory(_directory);
        string config = Path.Combine(_directory, "mosquitto.conf");
        await File.WriteAllLinesAsync(config, [$"listener {Port} {Host}", "allow_anonymous true", "persistence false", .. extraConfig]).ConfigureAwait(false);
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

    /// <summary>Kills the broker, as a crash or a power cut would.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
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
                await client.ConnectAsync(Host, Port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"mosquitto did not listen on {Host}:{Port} within 10 s");
    }
}
