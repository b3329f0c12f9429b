using System.Diagnostics;
using System.Globalization;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>
/// The Wi-Fi gone for a minute and back, on a stand-in: the worker's wlan0 is one end of a veth pair in a network
/// namespace of the test's own, the broker on the other end. The carrier and the address go, the carrier comes back
/// and the address half a second later, as NetworkManager and DHCP bring them: the first reading reaches the broker
/// within seconds of the address, not at the reconnect backoff's next step (up to 30 s), and every reading made
/// meanwhile follows it, in order.
/// </summary>
public sealed class LinkReturnOverVethTests
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task WifiGoneAMinute_ThenCarrierAndAddressBack_FirstReadingWithin3sOfTheAddress_NothingLost_InOrder()
    {
        Skip.IfNot(VethLink.Possible, "needs root and iproute2 to build a network namespace joined by a veth pair (CI runs as root)");
        using var link = VethLink.Create("wlan0");
        await using var broker = await MosquittoBroker.StartAsync(0, link.HostAddress);
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        using var outbox = new ScratchDirectory();
        await using var worker = WorkerProcess.StartWrapped(link.Wrapper, [
            $"--Mqtt:Host={link.HostAddress}", $"--Mqtt:Port={broker.Port}", "--Mqtt:ProtocolVersion=5",
            "--Mqtt:HealthCheckInterval=00:00:01", "--Mqtt:KeepAlive=00:00:02", "--Mqtt:OperationTimeout=00:00:02",
            "--Sensor:Kind=Simulated", "--Telemetry:Interval=00:00:00.500", "--Telemetry:Group=БАГ-18-01",
            "--Telemetry:Students:0=Иванов И.И", $"--Outbox:Directory={outbox.Path}"]);
        Assert.True(await Eventually.TrueAsync(() => grader.Sequences.Count >= 3, TimeSpan.FromSeconds(30)), worker.Output);

        link.Cut();
        link.RemoveAddress();

        // The minute without Wi-Fi, in real time: the worker's backoff grows to its 30 s cap meanwhile.
        await Task.Delay(Outage);
        int before = grader.Sequences.Count;
        link.Restore();

        // DHCP's half second between the carrier and the address.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        link.AddAddress();
        var addressBack = TimeProvider.System.GetUtcNow();
        var watch = Stopwatch.StartNew();

        Assert.True(await Eventually.TrueAsync(() => grader.Received.Count > before, TimeSpan.FromSeconds(40)), worker.Output);
        var first = grader.Received.ElementAt(before).At - addressBack;
        Assert.True(first <= TimeSpan.FromSeconds(3), $"the first reading arrived {first.TotalSeconds:0.0} s after the address came back\n{worker.Output}");
        Assert.Contains("Link up: connecting to", worker.Output, StringComparison.Ordinal);

        // Everything made during the outage follows, in the order it was made, none missing.
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains("Delivered", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), worker.Output);
        long[] sequences = [.. grader.Sequences.Select(s => long.Parse(s, CultureInfo.InvariantCulture))];
        long[] firstArrivals = [.. sequences.Distinct()];
        Assert.Equal(firstArrivals.Order(), firstArrivals);
        Assert.Equal(Enumerable.Range(1, (int)firstArrivals[^1]).Select(n => (long)n), firstArrivals);
        Assert.True(firstArrivals[^1] - before >= 100, $"only {firstArrivals[^1] - before} readings after the outage began ({watch.Elapsed})");
    }
}
