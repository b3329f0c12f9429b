using System.Text.Json;
using System.Text.RegularExpressions;
using LabTelemetry.Core.Device;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration;

/// <summary>The whole worker against a real Mosquitto, as the course's grader would see it.</summary>
public sealed partial class WorkerOnMosquittoTests : IAsyncLifetime
{
    private MosquittoBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await MosquittoBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Worker_PublishesTheLabsExactJson_ToDataSlashTheInterfacesMac_AtTheInterval()
    {
        // The MAC in the topic must be the one the interface really has, as /sys/class/net shows it.
        var nic = NetworkInterfaces.List().First(n => n.IsUp && !n.IsLoopback && n.Address.Length == 6);
        string mac = (await File.ReadAllTextAsync($"/sys/class/net/{nic.Name}/address")).Trim();
        await using var grader = await TestSubscriber.ConnectAsync(_broker, "DATA/#");

        await using (await InProcessWorker.StartAsync(_broker, $"--Device:Interface={nic.Name}", "--Device:Id="))
        {
            Assert.True(await Eventually.TrueAsync(() => grader.Received.Count >= 6), $"received {grader.Received.Count} messages");
        }

        var messages = grader.Received.ToArray();
        Assert.All(messages, m => Assert.Equal($"DATA/{mac}", m.Topic));
        Assert.All(messages, m => Assert.Matches(ExactPayload(), m.Payload));
        Assert.All(messages, m => AssertExactlyTheThreeKeys(m.Payload));
        double meanGap = (messages[^1].At - messages[0].At).TotalMilliseconds / (messages.Length - 1);
        Assert.InRange(meanGap, 250, 1000);
    }

    [Theory]
    [InlineData("RESULT")]
    [InlineData("RESULT/")]
    [InlineData("RESULT/БАГ-18-01")]
    public async Task ResultMessages_ReachTheLog(string topic)
    {
        await using var worker = await InProcessWorker.StartAsync(_broker);
        Assert.True(await Eventually.TrueAsync(() => worker.Logged("Subscribed to RESULT/#")), "the worker never subscribed");

        await TestSubscriber.PublishAsync(_broker, topic, "БАГ-18-01: зачтено");

        Assert.True(await Eventually.TrueAsync(() => worker.Log.GetSnapshot().Any(r => r.GetStructuredStateValue("Topic") == topic && r.Message.Contains("зачтено", StringComparison.Ordinal))));
        var record = worker.Log.GetSnapshot().Single(r => r.GetStructuredStateValue("Topic") == topic);
        Assert.Equal("БАГ-18-01", record.GetStructuredStateValue("Group"));
    }

    [Fact]
    public async Task WrongPassword_IsRetriedAndReportedAsARefusal_NeverAsConnected()
    {
        await using var broker = await MosquittoBroker.StartWithLoginAsync("student", "right");
        await using var worker = await InProcessWorker.StartAsync(broker, "--Mqtt:Username=student", "--Mqtt:Password=wrong");

        Assert.True(await Eventually.TrueAsync(() => worker.Logged("(attempt 2): the broker refused the connection")), "no refusal logged");
        Assert.False(worker.Logged("Connected to"));
    }

    [Theory]
    [InlineData("3.1.1")]
    [InlineData("5")]
    public async Task ResultSentWhileTheDeviceWasAway_ArrivesWhenItReturns(string protocolVersion)
    {
        string[] args = [$"--Mqtt:ProtocolVersion={protocolVersion}", $"--Mqtt:ClientId=persistent-{Guid.NewGuid():N}"];
        await using (var first = await InProcessWorker.StartAsync(_broker, args))
        {
            Assert.True(await Eventually.TrueAsync(() => first.Logged("Subscribed to RESULT/#")));
        }

        await TestSubscriber.PublishAsync(_broker, "RESULT", "БАГ-18-01: sent while away");

        await using var second = await InProcessWorker.StartAsync(_broker, args);
        Assert.True(await Eventually.TrueAsync(() => second.Logged("sent while away")), "the queued RESULT never arrived");
        // The broker sends what it queued as soon as the CONNACK is out, so that line may come before this one.
        Assert.True(await Eventually.TrueAsync(() => second.Logged("session kept by the broker: True")), "the broker did not keep the session");
    }

    private static void AssertExactlyTheThreeKeys(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        Assert.Equal(["temperature", "students", "group"], document.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Number, document.RootElement.GetProperty("temperature").ValueKind);
    }

    [GeneratedRegex("""^\{"temperature": -?\d+\.\d, "students": \["Иванов И.И"\], "group": "БАГ-18-01"\}$""")]
    private static partial Regex ExactPayload();
}
