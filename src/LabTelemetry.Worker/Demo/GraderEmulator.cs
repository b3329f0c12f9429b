using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;

namespace LabTelemetry.Worker.Demo;

/// <summary>
/// Plays the course's grader: subscribes to <c>DATA/#</c>, checks each message as the real one does, and answers
/// well-formed ones on <c>RESULT</c>; a malformed one gets no answer, only a line in the log saying why.
/// </summary>
internal sealed class GraderEmulator(EmbeddedBroker broker, ILogger<GraderEmulator> logger) : BackgroundService
{
    private readonly Channel<(string Topic, byte[] Payload)> _inbox = Channel.CreateBounded<(string, byte[])>(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();

        // The handler only queues: publishing an answer from inside it would wait for an acknowledgement
        // that the same receive loop has to deliver.
        client.ApplicationMessageReceivedAsync += e =>
        {
            _inbox.Writer.TryWrite((e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray()));
            return Task.CompletedTask;
        };
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("grader-emulator").Build(), stoppingToken).ConfigureAwait(false);
        await client.SubscribeAsync("DATA/#", MqttQualityOfServiceLevel.AtLeastOnce, stoppingToken).ConfigureAwait(false);
        DemoLog.GraderListening(logger);

        try
        {
            await foreach (var (topic, payload) in _inbox.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await AnswerAsync(client, topic, payload, stoppingToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await client.TryDisconnectAsync().ConfigureAwait(false);
        }
    }

    private async Task AnswerAsync(IMqttClient client, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        var verdict = LabPayloadCheck.Check(topic, payload);
        if (!verdict.Accepted)
        {
            DemoLog.GraderSilent(logger, topic, verdict.Reason);
            return;
        }

        await client.PublishBinaryAsync("RESULT", Answer(verdict.Group!, topic), MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: cancellationToken).ConfigureAwait(false);
        DemoLog.GraderAnswered(logger, topic, verdict.Group!);
    }

    /// <summary>The emulator's answer, <c>{"group":"БАГ-18-01","result":"accepted","checked":"DATA/…"}</c>.</summary>
    private static byte[] Answer(string group, string topic)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("group", group);
            json.WriteString("result", "accepted");
            json.WriteString("checked", topic);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
