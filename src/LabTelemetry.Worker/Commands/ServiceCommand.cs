using LabTelemetry.Core;
using LabTelemetry.Worker.Logging;
using LabTelemetry.Worker.Startup;

namespace LabTelemetry.Worker.Commands;

/// <summary>The service: what systemd runs.</summary>
internal static class ServiceCommand
{
    public static async Task<int> RunAsync(string[] settings)
    {
        var builder = LabTelemetryHost.CreateBuilder(settings).AddConsoleLogging();
        builder.Services.AddHostedService(sp => new StartupMemory(sp.Get<IHostApplicationLifetime>(), sp.Get<TimeProvider>(), sp.Logger<StartupMemory>()));
        using var host = builder.Build();
        LabTelemetryHost.ValidateConfiguration(host.Services);
        return await RunHostAsync(host).ConfigureAwait(false);
    }

    /// <summary>Runs the host until it stops; 0 only when it was asked to stop, 70 (EX_SOFTWARE) when a loop threw.</summary>
    internal static async Task<int> RunHostAsync(IHost host)
    {
        var loops = host.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
        await host.RunAsync().ConfigureAwait(false);

        // A loop that threw has stopped the host (the host logged why): exit non-zero, so systemd restarts us.
        return loops.Any(l => l.ExecuteTask is { IsFaulted: true }) ? ExitCodes.Software : ExitCodes.Ok;
    }
}
