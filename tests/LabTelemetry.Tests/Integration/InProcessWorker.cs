using LabTelemetry.Core.Outbox;
using LabTelemetry.Tests.Support;
using LabTelemetry.Worker.Startup;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;

namespace LabTelemetry.Tests.Integration;

/// <summary>The real host, built as Program.cs builds it, with its log collected in memory instead of written to the console.</summary>
internal sealed class InProcessWorker : IAsyncDisposable
{
    private readonly TestSettings _settings = new();
    private readonly ScratchDirectory _outbox = new();
    private readonly IHost _host;

    private InProcessWorker(IEnumerable<string> args)
    {
        var builder = LabTelemetryHost.CreateBuilder([$"--Outbox:Directory={_outbox.Path}", .. args], ConfigurationPlaces.Isolated(_settings.Directory));
        builder.Services.AddFakeLogging();
        _host = builder.Build();
        LabTelemetryHost.ValidateConfiguration(_host.Services);
        Log = _host.Services.GetFakeLogCollector();
    }

    public FakeLogCollector Log { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>Starts a worker on <paramref name="broker"/> with a fast, simulated setup; <paramref name="args"/> override it.</summary>
    public static async Task<InProcessWorker> StartAsync(MosquittoBroker broker, params string[] args)
    {
        var worker = new InProcessWorker(
        [
            $"--Mqtt:Host={MosquittoBroker.Host}",
            $"--Mqtt:Port={broker.Port}",
            "--Mqtt:HealthCheckInterval=00:00:00.200",
            "--Mqtt:MaxReconnectDelay=00:00:01",
            "--Mqtt:KeepAlive=00:00:02",
            "--Telemetry:Interval=00:00:00.500",
            .. args,
        ]);
        await worker._host.StartAsync();
        return worker;
    }

    /// <summary>Gets the outbox, to see what still waits.</summary>
    public DiskOutbox Outbox => _host.Services.GetRequiredService<DiskOutbox>();

    public Task StopAsync() => _host.StopAsync();

    public bool Logged(string text) => Log.GetSnapshot().Any(r => r.Message.Contains(text, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        _settings.Dispose();
        _outbox.Dispose();
    }
}
