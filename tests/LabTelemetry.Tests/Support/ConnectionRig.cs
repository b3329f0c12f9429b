using LabTelemetry.Core.Health;
using LabTelemetry.Core.Mqtt;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Polly.Registry;

namespace LabTelemetry.Tests.Support;

/// <summary>
/// The real connection, supervisor and reconnect policy on fake time, in front of a <see cref="FakeBrokerClient"/>:
/// what the supervisor and the outbox sender do around each fault, in milliseconds of real time.
/// </summary>
internal sealed class ConnectionRig : IAsyncDisposable
{
    public ConnectionRig(MqttOptions? options = null)
    {
        Options = options ?? new MqttOptions { HealthCheckInterval = TimeSpan.FromSeconds(5), MaxReconnectDelay = TimeSpan.FromSeconds(30) };
        Connection = new MqttConnection(Broker, Microsoft.Extensions.Options.Options.Create(Options), Microsoft.Extensions.Options.Options.Create(new AvailabilityOptions()), TestDevice.Pi, Time, ConnectionLog);
        var pipelines = new ResiliencePipelineRegistry<string>();
        pipelines.TryAddBuilder(ReconnectPipeline.Name, (builder, _) =>
        {
            builder.TimeProvider = Time;
            builder.AddReconnectRetry(Options.MaxReconnectDelay, args =>
            {
                Interlocked.Increment(ref _retries);
                return default;
            });
        });
        Supervisor = new ConnectionSupervisor(Connection, pipelines, Microsoft.Extensions.Options.Options.Create(Options), new Liveness(Time), Time, SupervisorLog);
    }

    private int _retries;

    public MqttOptions Options { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero));

    public FakeBrokerClient Broker { get; } = new();

    public FakeLogger<MqttConnection> ConnectionLog { get; } = new();

    public FakeLogger<ConnectionSupervisor> SupervisorLog { get; } = new();

    public MqttConnection Connection { get; }

    public ConnectionSupervisor Supervisor { get; }

    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Starts the supervisor and waits for its first connect.</summary>
    public async Task StartConnectedAsync()
    {
        await Supervisor.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.TrueAsync(() => Connection.State == ConnectionState.Connected), "the supervisor did not connect");
    }

    /// <summary>Moves fake time on by <paramref name="step"/>, then lets the loops that woke run.</summary>
    public async Task AdvanceAsync(TimeSpan step)
    {
        Time.Advance(step);
        await Task.Delay(50);
    }

    public async ValueTask DisposeAsync()
    {
        await Supervisor.StopAsync(CancellationToken.None);
        Supervisor.Dispose();
        await Connection.DisposeAsync();
    }
}
