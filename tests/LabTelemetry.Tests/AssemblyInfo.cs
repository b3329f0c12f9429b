// The service runs on Linux (1-Wire sysfs, systemd, NetworkManager) and so do its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
