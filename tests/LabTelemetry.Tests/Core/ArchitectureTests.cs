using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Fluent.Slices;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnit;
using LabTelemetry.Core.Outbox;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace LabTelemetry.Tests.Core;

/// <summary>
/// The house has one direction: each concept folder of Core may use only the folders before it in <see cref="Order"/>
/// (README, "How data flows"), and only the composition root (the namespace <c>LabTelemetry.Core</c> itself) knows
/// them all.
/// </summary>
public class ArchitectureTests
{
    private const string Root = "LabTelemetry.Core";

    /// <summary>From the bottom: nobody below may use anybody above.</summary>
    public static readonly string[] Order =
    [
        "Configuration", // settings that cannot work, and the checks of durations
        "Health",        // which loops make progress
        "Resilience",    // the one backoff, deadlines
        "Gpio",          // chips and lines: the header's chip found by label, a pin taken and released
        "Device",        // who we are: interface, MAC, id, client id, topics; the network as it comes and goes
        "Sensors",       // what we read
        "Outbox",        // what waits on disk; knows nothing of MQTT
        "Telemetry",     // a reading becomes the lab's payload, on schedule, into the outbox
        "Mqtt",          // the connection
        "Delivery",      // outbox → connection
        "Results",       // connection → log
        "HomeAssistant", // the device announced over the connection
        "Led",           // the status LED: the sensor's, the connection's, the deliveries' and the grader's state
    ];

    private static readonly Architecture Core = new ArchLoader().LoadAssemblies(typeof(DiskOutbox).Assembly).Build();

    public static TheoryData<string> Concepts() => [.. Order];

    [Theory]
    [MemberData(nameof(Concepts))]
    public void AConcept_UsesNoConceptAboveIt(string concept)
    {
        string[] above = Order[(Array.IndexOf(Order, concept) + 1)..];
        if (above.Length == 0)
        {
            return;
        }

        IArchRule rule = Types().That().ResideInNamespace($"{Root}.{concept}")
            .Should().NotDependOnAny(Types().That().ResideInNamespaceMatching($@"^{Root.Replace(".", @"\.", StringComparison.Ordinal)}\.({string.Join('|', above)})(\..*)?$"))
            .Because($"{concept} comes below {string.Join(", ", above)} in the house's order");
        rule.Check(Core);
    }

    [Fact]
    public void NoConcept_UsesTheCompositionRoot()
    {
        IArchRule rule = Types().That().ResideInNamespaceMatching($@"^{Root.Replace(".", @"\.", StringComparison.Ordinal)}\..+$")
            .Should().NotDependOnAny(Types().That().ResideInNamespace(Root))
            .Because("only the composition root knows every concept; a concept is handed what it needs");
        rule.Check(Core);
    }

    [Fact]
    public void TheConceptFolders_FormNoCycle()
    {
        IArchRule rule = SliceRuleDefinition.Slices().Matching($"{Root}.(*)").Should().BeFreeOfCycles();
        rule.Check(Core);
    }

    [Fact]
    public void EveryNamespaceOfCore_IsAConceptOfTheOrder_OrTheRoot()
    {
        string[] unplaced = [.. Core.Namespaces
            .Select(n => n.FullName)
            .Where(n => n.StartsWith(Root, StringComparison.Ordinal) && n != Root && !Order.Contains(n[(Root.Length + 1)..].Split('.')[0]))
            .Order(StringComparer.Ordinal)];

        Assert.Empty(unplaced);
    }
}
