namespace LabTelemetry.Core.Device;

/// <summary>Turns a topic template such as <c>DATA/{mac}</c> into this device's topic.</summary>
public static class TopicTemplate
{
    public const string DevicePlaceholder = "{mac}";

    public static string Expand(string template, string deviceId) =>
        template.Replace(DevicePlaceholder, deviceId, StringComparison.Ordinal);

    /// <summary>What is wrong with a publish topic template, or <see langword="null"/> when nothing is.</summary>
    public static string? Problem(string? template)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            return "is empty; the course expects DATA/{mac}.";
        }

        // Wildcards are for subscribing: a broker drops a publish whose topic has one.
        if (template.AsSpan().IndexOfAny('#', '+') >= 0)
        {
            return $"'{template}' contains '#' or '+', which MQTT allows only when subscribing.";
        }

        return null;
    }
}
