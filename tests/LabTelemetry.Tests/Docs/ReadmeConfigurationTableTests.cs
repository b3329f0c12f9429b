using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Docs;

/// <summary>
/// README's configuration table against the options classes: every key names a property, every property has a
/// row, and every written default is the property's own. A default in italics is made at start (the property is
/// unset), <c>**required**</c> is empty and refused at start.
/// </summary>
public partial class ReadmeConfigurationTableTests
{
    // Every options class of Core: the types that name a configuration section.
    private static readonly Dictionary<string, Type> Sections = typeof(MqttOptions).Assembly.GetTypes()
        .Select(t => (Type: t, Name: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
        .Where(s => s.Name is not null)
        .ToDictionary(s => s.Name!, s => s.Type, StringComparer.Ordinal);

    /// <summary>One row: its keys and its default cell.</summary>
    public sealed record Row(string[] Keys, string Default);

    public static List<Row> Rows()
    {
        string[] lines = File.ReadAllLines(RepositoryRoot.File("README.md"));
        int header = Array.FindIndex(lines, l => l.StartsWith("| Key | Default | Meaning |", StringComparison.Ordinal));
        Assert.True(header >= 0, "README.md has no configuration table (| Key | Default | Meaning |)");
        return [.. lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')).Select(Parse)];
    }

    private static Row Parse(string line)
    {
        string[] cells = line.Split('|', StringSplitOptions.TrimEntries)[1..^1];
        return new Row([.. Ticked().Matches(cells[0]).Select(m => m.Groups[1].Value)], cells[1]);
    }

    public static TheoryData<string, string> Defaults()
    {
        var data = new TheoryData<string, string>();
        foreach (var row in Rows().Where(r => !r.Keys[0].StartsWith("Serilog:", StringComparison.Ordinal)))
        {
            bool written = !IsMade(row.Default) && row.Default != "**required**";
            string[] values = written ? [.. Ticked().Matches(row.Default).Select(m => m.Groups[1].Value)] : [];
            for (int i = 0; i < row.Keys.Length; i++)
            {
                data.Add(row.Keys[i], written ? values[values.Length == 1 ? 0 : i] : row.Default);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Defaults))]
    public void EachKey_IsAnOptionsProperty_WhoseDefaultIsTheOneWritten(string key, string written)
    {
        var (options, property) = Property(key);
        object? value = property.GetValue(options);

        if (IsMade(written))
        {
            Assert.True(value is null or "", $"{key}: README says its default is made at start ({written}), but the property's default is {Text(value)}");
        }
        else if (written == "**required**")
        {
            Assert.True(value is "" or System.Collections.ICollection { Count: 0 }, $"{key}: README says it is required, but it defaults to {Text(value)}");
        }
        else
        {
            Assert.Equal(written, Text(value));
        }
    }

    [Fact]
    public void TheOptionsClasses_AreFound()
    {
        Assert.Equal(["Availability", "Device", "Gpio", "HomeAssistant", "Led", "Mqtt", "Outbox", "Results", "Sensor", "Telemetry"], Sections.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryPropertyOfEveryOptionsClass_HasARow()
    {
        var documented = Rows().SelectMany(r => r.Keys).ToHashSet(StringComparer.Ordinal);
        string[] missing = [.. Sections
            .SelectMany(s => Settable(s.Value).Select(p => $"{s.Key}:{p.Name}"))
            .Where(k => !documented.Contains(k))];

        Assert.Empty(missing);
    }

    [Fact]
    public void TheSerilogRow_MatchesTheShippedAppsettings()
    {
        var row = Assert.Single(Rows(), r => r.Keys.Contains("Serilog:MinimumLevel"));
        using var shipped = JsonDocument.Parse(File.ReadAllText(RepositoryRoot.File("appsettings.json")), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });

        string level = shipped.RootElement.GetProperty("Serilog").GetProperty("MinimumLevel").GetProperty("Default").GetString()!;

        Assert.Equal($"`{level}`", row.Default);
    }

    private static (object Options, PropertyInfo Property) Property(string key)
    {
        string[] parts = key.Split(':');
        Assert.True(parts.Length == 2 && Sections.ContainsKey(parts[0]), $"README names {key}, which is no section of ours");
        var type = Sections[parts[0]];
        var property = type.GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance);
        Assert.True(property is { CanWrite: true }, $"README names {key}, but {type.Name} has no settable property {parts[1]}");
        return (Activator.CreateInstance(type)!, property!);
    }

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite);

    private static bool IsMade(string cell) => cell.Length > 2 && cell[0] == '*' && cell[1] != '*' && cell[^1] == '*';

    private static string Text(object? value) => value switch
    {
        null => "null",
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        bool flag => flag ? "true" : "false",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Ticked();
}
