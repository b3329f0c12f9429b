namespace LabTelemetry.Core.Configuration;

/// <summary>A setting that cannot work; the message names the key or file and the fix, and becomes exit code 78.</summary>
public sealed class ConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
