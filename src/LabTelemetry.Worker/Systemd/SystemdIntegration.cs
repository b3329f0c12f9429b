using System.Globalization;
using LabTelemetry.Core;
using LabTelemetry.Core.Health;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting.Systemd;

namespace LabTelemetry.Worker.Systemd;

/// <summary>
/// systemd's side of the host: READY=1 and STOPPING=1 through <see cref="SystemdLifetime"/> when systemd started us,
/// the watchdog fed while the loops make progress, and SIGHUP answered instead of dying.
/// </summary>
internal static class SystemdIntegration
{
    public static IServiceCollection AddSystemdIntegration(this IServiceCollection services)
    {
        // Factories, as in AddLabTelemetry: no constructor read by reflection, no generic closed while we run.
        services.TryAddSingleton<ISystemdNotifier>(_ => new SystemdNotifier());
        if (IsSystemdService(Environment.GetEnvironmentVariable, Environment.ProcessId))
        {
            services.AddSingleton<IHostLifetime>(sp => new SystemdLifetime(
                sp.Get<IHostEnvironment>(), sp.Get<IHostApplicationLifetime>(), sp.Get<ISystemdNotifier>(), sp.Get<ILoggerFactory>()));
        }

        services.AddHostedService(sp => new HangupSignal(sp.Logger<HangupSignal>()));
        services.AddHostedService(sp => new WatchdogFeeder(sp.Get<Liveness>(), sp.Get<ISystemdNotifier>(), sp.Get<TimeProvider>(), sp.Logger<WatchdogFeeder>()));
        return services;
    }

    /// <summary>
    /// Whether systemd started this process. <c>AddSystemd()</c> asks whether our parent is called "systemd", which
    /// the unit's <c>ProtectProc=invisible</c> hides from us: the host would never say READY=1 and systemd would
    /// time the start out. systemd (≥ 248) names the process it started in <c>SYSTEMD_EXEC_PID</c>; an older one
    /// gives only <c>NOTIFY_SOCKET</c>.
    /// </summary>
    internal static bool IsSystemdService(Func<string, string?> variable, int processId)
    {
        if (string.IsNullOrEmpty(variable("NOTIFY_SOCKET")))
        {
            return SystemdHelpers.IsSystemdService();
        }

        // A child the service started inherits NOTIFY_SOCKET, but not the PID systemd gave.
        return variable("SYSTEMD_EXEC_PID") is not { Length: > 0 } pid || pid == processId.ToString(CultureInfo.InvariantCulture);
    }
}
