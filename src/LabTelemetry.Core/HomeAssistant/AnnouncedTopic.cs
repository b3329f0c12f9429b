namespace LabTelemetry.Core.HomeAssistant;

/// <summary>
/// The config topic last announced, remembered in the state directory: turning discovery off clears what is retained
/// there, once, and a service that never announced has nothing to clear and publishes nothing under the prefix.
/// </summary>
internal sealed class AnnouncedTopic(string stateDirectory)
{
    public const string FileName = "homeassistant-announced";

    private readonly string _path = Path.Combine(stateDirectory, FileName);

    /// <summary>The topic announced, or <see langword="null"/> when none is retained for us.</summary>
    public string? Read()
    {
        try
        {
            return File.Exists(_path) ? File.ReadAllText(_path).Trim() is { Length: > 0 } topic ? topic : null : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Remembers <paramref name="topic"/>; <see langword="false"/> when the state directory cannot take it.</summary>
    public bool Write(string topic)
    {
        try
        {
            File.WriteAllText(_path, topic + "\n");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Forget()
    {
        try
        {
            File.Delete(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Cleared at the broker already; the next start clears it again, which changes nothing there.
        }
    }
}
