using LabTelemetry.Worker.Logging;
using LabTelemetry.Worker.Startup;

namespace LabTelemetry.Worker.Commands;

/// <summary>The service: what systemd runs.</summary>
internal static class ServiceCommand
{
    public static async Task<int> RunAsync(string[] settings)
    {
        var builder = LabTelemetryHost.CreateBuilder(settings).AddConsoleLogging();
        using var host = builder.Build();
        LabTelemetryHost.ValidateConfiguration(host.Services);
        await host.RunAsync().ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
