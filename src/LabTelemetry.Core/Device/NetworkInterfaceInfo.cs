namespace LabTelemetry.Core.Device;

/// <summary>What device identity needs to know of one network interface.</summary>
public sealed record NetworkInterfaceInfo(string Name, bool IsUp, bool IsLoopback, byte[] Address);
