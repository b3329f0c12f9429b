using System.Text.Json;
using System.Text.RegularExpressions;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// Home Assistant's discovery against a real Mosquitto, with the service on a machine whose wlan0 has a Pi's MAC: never
/// on, nothing is published under the prefix; on, a retained config Home Assistant takes; off again, it is cleared.
/// </summary>
public sealed partial class HomeAssistantDiscoveryTests
{
    private const string ConfigTopic = "homeassistant/sensor/b827eb123456/temperature/config";

    [GeneratedRegex("^homeassistant/sensor/[a-zA-Z0-9_-]+/[a-zA-Z0-9_-]+/config$")]
    private static partial Regex HomeAssistantTopic();

    [SkippableFact]
    public async Task NeverOn_PublishesNothingUnderThePrefix_On_RetainsAConfigHomeAssistantTakes_OffAgain_ClearsIt()
    {
        Skip.IfNot(VethLink.Possible, "needs root and iproute2 for a network namespace whose wlan0 has a Pi's MAC (CI runs as root)");
        using var link = VethLink.Create("wlan0", mac: "b8:27:eb:12:34:56");
        var broker = MosquittoBroker.LoggingAt(link.HostAddress);
        await using var _ = broker;
        await broker.StartAgainAsync();
        using var outbox = new ScratchDirectory();
        string[] settings = [
            $"--Mqtt:Host={link.HostAddress}", $"--Mqtt:Port={broker.Port}", "--Sensor:Kind=Simulated", "--Telemetry:Interval=00:00:01",
            "--Telemetry:Group=БАГ-18-01", "--Telemetry:Students:0=Иванов И.И", $"--Outbox:Directory={outbox.Path}"];

        // Never on: the service runs, publishes its readings, and nothing under the prefix.
        await RunAsync(link, settings, w => w.Output.Contains("Published ", StringComparison.Ordinal));
        Assert.DoesNotContain(broker.LogLines(), l => l.Contains("'homeassistant/", StringComparison.Ordinal));

        // On: the config, retained, as Home Assistant documents it.
        await RunAsync(link, [.. settings, "--HomeAssistant:Discovery=true"], w => w.Output.Contains("Home Assistant: announced", StringComparison.Ordinal));
        var retained = await RetainedAsync(broker);
        var (topic, payload) = Assert.Single(retained);
        Assert.Equal(ConfigTopic, topic);
        Assert.Matches(HomeAssistantTopic(), topic);
        using (var config = JsonDocument.Parse(payload))
        {
            var root = config.RootElement;
            Assert.Equal("labtelemetry_b827eb123456_temperature", root.GetProperty("unique_id").GetString());
            Assert.Equal("temperature", root.GetProperty("device_class").GetString());
            Assert.Equal("°C", root.GetProperty("unit_of_measurement").GetString());
            Assert.Equal("measurement", root.GetProperty("state_class").GetString());
            Assert.Equal("DATA/b8:27:eb:12:34:56", root.GetProperty("state_topic").GetString());
            Assert.Equal("{{ value_json.temperature }}", root.GetProperty("value_template").GetString());
            Assert.Equal("STATUS/b8:27:eb:12:34:56", root.GetProperty("availability_topic").GetString());
            Assert.Equal("online", root.GetProperty("payload_available").GetString());
            Assert.Equal("offline", root.GetProperty("payload_not_available").GetString());
            Assert.Equal(3, root.GetProperty("expire_after").GetInt32());
            Assert.Equal("labtelemetry_b827eb123456", root.GetProperty("device").GetProperty("identifiers")[0].GetString());
            Assert.False(string.IsNullOrEmpty(root.GetProperty("device").GetProperty("sw_version").GetString()));
        }

        // Home Assistant coming up asks again: its birth message gets the config once more.
        int announcements = PublishesOn(broker, ConfigTopic);
        await using (var again = WorkerProcess.StartWrapped(link.Wrapper, [.. settings, "--HomeAssistant:Discovery=true"]))
        {
            Assert.True(await Eventually.TrueAsync(() => PublishesOn(broker, ConfigTopic) == announcements + 1, TimeSpan.FromSeconds(30)), again.Output);
            await TestSubscriber.PublishAsync(broker, "homeassistant/status", "online");
            Assert.True(await Eventually.TrueAsync(() => PublishesOn(broker, ConfigTopic) == announcements + 2, TimeSpan.FromSeconds(30)), again.Output);
            await again.TerminateAsync();
            await again.ExitCodeAsync(TimeSpan.FromSeconds(30));
        }

        // Off again: cleared once, and nothing retained under the prefix any more.
        await RunAsync(link, settings, w => w.Output.Contains("Home Assistant: cleared", StringComparison.Ordinal));
        Assert.Empty(await RetainedAsync(broker));
        int clears = broker.LogLines().Count(l => l.Contains($"'{ConfigTopic}'", StringComparison.Ordinal) && l.Contains("(0 bytes)", StringComparison.Ordinal));
        await RunAsync(link, settings, w => w.Output.Contains("Published ", StringComparison.Ordinal));
        Assert.Equal(1, clears);
        Assert.Equal(clears, broker.LogLines().Count(l => l.Contains($"'{ConfigTopic}'", StringComparison.Ordinal) && l.Contains("(0 bytes)", StringComparison.Ordinal)));
    }

    private static int PublishesOn(MosquittoBroker broker, string topic) =>
        broker.LogLines().Count(l => l.StartsWith("Received PUBLISH from", StringComparison.Ordinal) && l.Contains($"'{topic}'", StringComparison.Ordinal) && !l.Contains("(0 bytes)", StringComparison.Ordinal));

    private static async Task RunAsync(VethLink link, string[] settings, Func<WorkerProcess, bool> until)
    {
        await using var worker = WorkerProcess.StartWrapped(link.Wrapper, settings);
        Assert.True(await Eventually.TrueAsync(() => until(worker), TimeSpan.FromSeconds(30)), worker.Output);
        await worker.TerminateAsync();
        Assert.Equal(0, await worker.ExitCodeAsync(TimeSpan.FromSeconds(30)));
    }

    // What the broker retains under the prefix: a new subscriber gets retained messages right after subscribing, so a
    // marker published after the subscription, once it arrives, says everything retained has arrived before it.
    private static async Task<List<(string Topic, string Payload)>> RetainedAsync(MosquittoBroker broker)
    {
        await using var subscriber = await TestSubscriber.ConnectAsync(broker, "homeassistant/#");
        await TestSubscriber.PublishAsync(broker, "homeassistant/marker", "end");
        Assert.True(await Eventually.TrueAsync(() => subscriber.Received.Any(r => r.Topic == "homeassistant/marker")), "the marker never came");
        return [.. subscriber.Received.TakeWhile(r => r.Topic != "homeassistant/marker").Select(r => (r.Topic, r.Payload))];
    }
}
