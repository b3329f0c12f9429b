using LabTelemetry.Core.Device;
using LabTelemetry.Core.Health;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Core.Resilience;
using Microsoft.Extensions.Logging.Testing;

namespace LabTelemetry.Tests.Support;

/// <summary>
/// The real connection, supervisor and reconnect policy on fake time, in front of a <see cref="FakeBrokerClient"/>:
/// what the supervisor and the outbox sender do around each fault, in milliseconds of real time. The tests move time
/// only once every loop waits on its timer (<see cref="WatchedTimeProvider.ParkedAsync(TimeSpan[])"/>).
/// </summary>
internal sealed class ConnectionRig : IAsyncDisposable
{
    public ConnectionRig(MqttOptions? options = null)
    {
        Broker = new(Time);
        Options = options ?? new MqttOptions { HealthCheckInterval = TimeSpan.FromSeconds(5), MaxReconnectDelay = TimeSpan.FromSeconds(30) };
        Backoff = new(TimeSpan.FromSeconds(1), Options.MaxReconnectDelay, ConnectionSupervisor.StableConnection, () => 0.5);
        Connection = new MqttConnection(Broker, Microsoft.Extensions.Options.Options.Create(Options), Microsoft.Extensions.Options.Options.Create(new AvailabilityOptions()), TestDevice.Pi, Time, ConnectionLog);
        Supervisor = new ConnectionSupervisor(Connection, Backoff, Link, Microsoft.Extensions.Options.Options.Create(Options), new Liveness(Time), Time, SupervisorLog);
        Time.Describe = () => $"connection {Connection.State}, {Broker.Connects} connect(s), {Broker.Pings} ping(s), {Broker.Published.Count} publish(es) taken";
    }

    /// <summary>Gets the reconnect pace: the production one, with its jitter fixed at the middle so delays are exact (1, 2, 4 … s).</summary>
    public Backoff Backoff { get; }

    /// <summary>Gets how many connect attempts failed, as the supervisor's log says (one warning each).</summary>
    public int Retries => SupervisorLog.Collector.GetSnapshot().Count(r => r.Message.StartsWith("Connecting to ", StringComparison.Ordinal) && r.Message.Contains(" failed (attempt ", StringComparison.Ordinal));

    public MqttOptions Options { get; }

    /// <summary>Gets the network link the supervisor listens to; a test tells it the interface's state.</summary>
    public NetworkLink Link { get; } = new();

    public WatchedTimeProvider Time { get; } = new();

    public FakeBrokerClient Broker { get; }

    public FakeLogger<MqttConnection> ConnectionLog { get; } = new();

    public FakeLogger<ConnectionSupervisor> SupervisorLog { get; } = new();

    public MqttConnection Connection { get; }

    public ConnectionSupervisor Supervisor { get; }

    /// <summary>Starts the supervisor and waits for its first connect.</summary>
    public async Task StartConnectedAsync()
    {
        await Supervisor.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.TrueAsync(() => Connection.State == ConnectionState.Connected), "the supervisor did not connect");
    }

    public async ValueTask DisposeAsync()
    {
        await Supervisor.StopAsync(CancellationToken.None);
        Supervisor.Dispose();
        await Connection.DisposeAsync();
    }
}
