using System.Reflection;
using System.Text.RegularExpressions;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Docs;

/// <summary>Every test that docs/RELIABILITY.md names as the proof of a row exists.</summary>
public partial class DocumentedTestsTests
{
    private static readonly Type[] TestClasses = [.. typeof(DocumentedTestsTests).Assembly.GetTypes().Where(t => t.Name.EndsWith("Tests", StringComparison.Ordinal))];

    [Fact]
    public void EveryTestNamedInReliability_Exists()
    {
        string text = File.ReadAllText(RepositoryRoot.File("docs", "RELIABILITY.md"));
        var missing = new List<string>();
        int named = 0;
        string? previous = null;
        foreach (Match name in Named().Matches(text))
        {
            string? type = name.Groups["class"].Success ? name.Groups["class"].Value : previous;
            previous = type;
            named++;
            if (type is null || TestClasses.FirstOrDefault(t => t.Name == type) is not { } found)
            {
                missing.Add(name.Value);
            }
            else if (name.Groups["method"].Success && !found.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Any(m => Matches(m.Name, name.Groups["method"].Value, name.Groups["prefix"].Success)))
            {
                missing.Add(name.Value);
            }
        }

        Assert.True(named > 50, $"only {named} test names found in docs/RELIABILITY.md: is the pattern still right?");
        Assert.Empty(missing);
    }

    // `Class`, `Class.Method`, `Class.Method(arguments)`, `Class.Prefix…`, `Class.*Part*`, and `…Method` for another
    // method of the class named before it.
    private static bool Matches(string method, string written, bool prefix) =>
        written.Contains('*', StringComparison.Ordinal)
            ? Regex.IsMatch(method, "^" + Regex.Escape(written).Replace(@"\*", ".*", StringComparison.Ordinal) + "$")
            : prefix ? method.StartsWith(written, StringComparison.Ordinal) : method == written;

    [GeneratedRegex(@"`(?:(?<class>\w+Tests)(?:\.(?<method>[\w*]+)(?<prefix>…)?(?:\([^`]*\))?)?|…(?<method>\w+))`")]
    private static partial Regex Named();
}
