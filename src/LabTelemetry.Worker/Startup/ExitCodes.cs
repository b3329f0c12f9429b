namespace LabTelemetry.Worker.Startup;

/// <summary>Exit codes from sysexits.h, which systemd and shell scripts understand.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 64;
    public const int Unavailable = 69;
    public const int Software = 70;
    public const int Config = 78;
}
