using LabTelemetry.Worker.Systemd;

namespace LabTelemetry.Tests.Worker.Systemd;

/// <summary>Whether systemd started us decides whether READY=1 is sent; the unit's sandbox hides our parent.</summary>
public sealed class SystemdIntegrationTests
{
    private const int Pid = 4242;

    [Fact]
    public void StartedBySystemd_WithItsParentHidden_IsRecognisedBySystemdExecPid()
    {
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = "/run/systemd/notify", ["SYSTEMD_EXEC_PID"] = "4242" };

        Assert.True(SystemdIntegration.IsSystemdService(environment.GetValueOrDefault, Pid));
    }

    [Fact]
    public void AChildOfAService_WhichInheritedTheSocket_IsNotTheService()
    {
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = "/run/systemd/notify", ["SYSTEMD_EXEC_PID"] = "17" };

        Assert.False(SystemdIntegration.IsSystemdService(environment.GetValueOrDefault, Pid));
    }

    [Fact]
    public void AnOlderSystemd_WithoutExecPid_IsRecognisedByTheNotifySocket()
    {
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = "/run/systemd/notify" };

        Assert.True(SystemdIntegration.IsSystemdService(environment.GetValueOrDefault, Pid));
    }
}
