namespace LabTelemetry.Worker.Startup;

/// <summary>
/// <c>LABTELEMETRY_</c> variables as configuration (<c>__</c> separates levels), from the process environment or
/// from a systemd <c>EnvironmentFile=</c> read by hand; <see cref="Origin"/> says which, for <c>check</c>.
/// </summary>
internal sealed class PrefixedVariables(string origin, IEnumerable<KeyValuePair<string, string>> variables, bool readable = true) : ConfigurationProvider, IConfigurationSource
{
    public const string Prefix = "LABTELEMETRY_";

    public string Origin { get; } = origin;

    public int Count => Data.Count;

    /// <summary>Gets a value indicating whether this user could read the origin (a 0600 secrets file needs root).</summary>
    public bool Readable { get; } = readable;

    public override void Load()
    {
        foreach (var (name, value) in variables)
        {
            if (name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && name.Length > Prefix.Length)
            {
                Data[name[Prefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)] = value;
            }
        }
    }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    /// <summary>
    /// Reads a systemd environment file: <c>NAME=value</c> lines, <c>#</c> and <c>;</c> comments, values optionally
    /// in matching quotes.
    /// </summary>
    public static List<KeyValuePair<string, string>> ReadEnvironmentFile(string path)
    {
        var variables = new List<KeyValuePair<string, string>>();
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] is '#' or ';' || equals <= 0)
            {
                continue;
            }

            string value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && value[0] is '"' or '\'' && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            variables.Add(new(line[..equals].Trim(), value));
        }

        return variables;
    }
}
