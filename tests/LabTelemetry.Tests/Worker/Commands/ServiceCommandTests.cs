using LabTelemetry.Worker.Commands;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LabTelemetry.Tests.Worker.Commands;

/// <summary>The service's exit code, which decides whether systemd restarts it.</summary>
public sealed class ServiceCommandTests
{
    [Fact]
    public async Task WhenALoopThrows_TheServiceExitsWith70_SoSystemdRestartsIt()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddHostedService<Throwing>();
        using var host = builder.Build();

        Assert.Equal(70, await ServiceCommand.RunHostAsync(host));
    }

    [Fact]
    public async Task WhenAskedToStop_TheServiceExitsWith0()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddHostedService<StopsTheHost>();
        using var host = builder.Build();

        Assert.Equal(0, await ServiceCommand.RunHostAsync(host));
    }

    private sealed class Throwing : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            throw new DirectoryNotFoundException("the outbox directory went away");
        }
    }

    private sealed class StopsTheHost(IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            lifetime.StopApplication();
        }
    }
}
