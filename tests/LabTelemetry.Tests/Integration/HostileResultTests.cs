using System.Text;
using LabTelemetry.Tests.Support;
using MQTTnet;
using Xunit.Abstractions;

namespace LabTelemetry.Tests.Integration;

/// <summary>Whatever anyone posts on RESULT, the telemetry keeps its schedule, memory stays bounded and no log line can be forged.</summary>
public sealed class HostileResultTests(ITestOutputHelper output)
{
    private const int Messages = 5000;
    private const int HugeMessages = 10;
    private const string Forged = "FORGED-LINE";
    private const string Forgery = $"ok\n[12:00:00 ERR] {Forged}\r\u001b[2J\u001b[31m";

    // The forgery as one logged line shows it: every control character written out.
    private const string ForgeryLogged = $@"on RESULT: ok\n[12:00:00 ERR] {Forged}\r\u001b[2J\u001b[31m";

    [Fact]
    public async Task FiveThousandHostileResults_LeaveTelemetryOnSchedule_AndMemoryBounded()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var grader = await TestSubscriber.ConnectAsync(broker, "DATA/#");
        using var outbox = new ScratchDirectory();
        // MQTT 3.1.1: the broker sends everything and the worker must refuse what is too large (with MQTT 5 the broker would not send it).
        await using var worker = WorkerProcess.Start([.. ReliabilityTests.WorkerProcessSettings(broker, outbox.Path), "--Mqtt:ProtocolVersion=3.1.1"]);
        Assert.True(await Eventually.TrueAsync(() => grader.Received.Count >= 6, TimeSpan.FromSeconds(30)), worker.Output);
        double residentBefore = worker.ResidentMiB;

        // The forgery first, alone, while the log budget is whole: certainly logged, so the check that it forged
        // nothing cannot pass because the budget dropped it.
        await TestSubscriber.PublishAsync(broker, "RESULT", Forgery);
        Assert.True(await Eventually.TrueAsync(() => worker.Output.Contains(ForgeryLogged, StringComparison.Ordinal), TimeSpan.FromSeconds(30)), worker.Output);

        int receivedBefore = grader.Received.Count;
        var flood = System.Diagnostics.Stopwatch.StartNew();
        await FloodAsync(broker);

        // The worker process and mosquitto run on the real clock: its publishing is counted over the flood and 3 s after.
        await Task.Delay(TimeSpan.FromSeconds(3));
        double seconds = flood.Elapsed.TotalSeconds;
        int publishedDuring = grader.Received.Count - receivedBefore;
        double residentAfter = worker.ResidentMiB;
        output.WriteLine($"flood and 3 s after: {seconds:0.0} s, {publishedDuring} telemetry messages (interval 0.5 s); resident {residentBefore:0} MiB before, {residentAfter:0} MiB after");

        // On schedule: at least two thirds of the ticks a 0.5 s interval has in that time (a loaded 2-core machine is slow, not silent).
        Assert.True(publishedDuring >= seconds * 2 * 2 / 3, $"{publishedDuring} telemetry messages in {seconds:0.0} s\n{worker.Output}");
        Assert.True(residentAfter - residentBefore < 150, $"resident memory grew from {residentBefore:0} to {residentAfter:0} MiB");
        Assert.DoesNotContain('\u001b', worker.Output);
        var linesNamingTheForgery = worker.Output.Split('\n').Where(l => l.Contains(Forged, StringComparison.Ordinal)).ToList();
        Assert.Contains(linesNamingTheForgery, l => l.Contains(ForgeryLogged, StringComparison.Ordinal));
        Assert.All(linesNamingTheForgery, l => Assert.Contains("RESULT", l, StringComparison.Ordinal));
        Assert.DoesNotContain(linesNamingTheForgery, l => l.StartsWith($"[12:00:00 ERR] {Forged}", StringComparison.Ordinal));
        Assert.Contains("not logged: more than 20 a second", worker.Output, StringComparison.Ordinal);
        Assert.Contains("larger than 65536 bytes (Results:MaxPayloadBytes)", worker.Output, StringComparison.Ordinal);
    }

    private static async Task FloodAsync(MosquittoBroker broker)
    {
        using var attacker = new MqttClientFactory().CreateMqttClient();
        await attacker.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(broker.Address, broker.Port).Build());
        var random = new Random(42);
        byte[][] payloads =
        [
            Encoding.UTF8.GetBytes(Forgery),
            [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80],
            [],
            Encoding.UTF8.GetBytes(new string('[', 100_000)),
            Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"group\":", 5_000))),
            Enumerable.Range(0, 512).Select(_ => (byte)random.Next(256)).ToArray(),
        ];
        // Control characters in a topic make Mosquitto drop the sender, so hostile topics stay valid UTF-8.
        string[] topics = ["RESULT", "RESULT/", "RESULT/БАГ-18-01", "RESULT/\u202e\u2028", "RESULT/x/y/z"];
        for (int i = 0; i < Messages - HugeMessages; i++)
        {
            byte[] payload = payloads[i % payloads.Length];
            var message = new MqttApplicationMessageBuilder().WithTopic(topics[i % topics.Length]).WithPayload(payload).Build();
            await attacker.PublishAsync(message);
        }

        await attacker.DisconnectAsync();

        // 1 MiB payloads go through mosquitto_pub: MQTTnet's client takes about half a second to send each.
        string huge = Path.GetTempFileName();
        await File.WriteAllBytesAsync(huge, new byte[1024 * 1024]);
        for (int i = 0; i < HugeMessages; i++)
        {
            using var publish = System.Diagnostics.Process.Start("mosquitto_pub", ["-h", broker.Address, "-p", $"{broker.Port}", "-t", "RESULT", "-f", huge])!;
            await publish.WaitForExitAsync();
        }

        File.Delete(huge);
    }
}
