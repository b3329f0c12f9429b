using System.Reflection;
using System.Text.RegularExpressions;
using LabTelemetry.Tests.Support;
using LabTelemetry.Worker.Commands;
using LabTelemetry.Worker.Startup;

namespace LabTelemetry.Tests.Docs;

/// <summary>The exit codes said in <c>--help</c> and in README are the ones the program has.</summary>
public partial class ExitCodesDocTests
{
    private static int[] InTheProgram() =>
        [.. typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (int)f.GetValue(null)!).Order()];

    [Fact]
    public void Help_NamesEveryExitCode()
    {
        string help = HelpText.Text;
        string paragraph = help[help.IndexOf("Exit codes:", StringComparison.Ordinal)..].Split("\n\n")[0];

        Assert.Equal(InTheProgram(), Codes(paragraph));
    }

    [Fact]
    public void ReadmesExitCodeSection_NamesEveryExitCode()
    {
        string readme = File.ReadAllText(RepositoryRoot.File("README.md"));
        string section = readme[readme.IndexOf("## Exit codes", StringComparison.Ordinal)..];
        section = section.IndexOf("\n## ", 3, StringComparison.Ordinal) is > 0 and var end ? section[..end] : section;

        Assert.Equal(InTheProgram(), Codes(section));
    }

    private static int[] Codes(string text) => [.. Code().Matches(text).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order()];

    // A code as the two texts write one: `70` in README, "70 something" after "Exit codes:" in --help.
    [GeneratedRegex(@"(?<![\w.:-])`?(\d{1,3})`?(?= [a-z(`])")]
    private static partial Regex Code();
}
