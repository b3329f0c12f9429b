using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using LabTelemetry.Core.Device;

namespace LabTelemetry.Core.HomeAssistant;

/// <summary>
/// The thermometer as Home Assistant's MQTT discovery describes a sensor: its config topic and the retained JSON
/// there, which reads the temperature out of the lab's own payload on the DATA topic (left as the grader wants it).
/// </summary>
public static class DiscoveryConfig
{
    /// <summary>Home Assistant takes only these in a node or object id, and silently ignores a topic with anything else.</summary>
    public static bool IsValidId(string id) => id.Length > 0 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>The node id: the MAC's twelve hex digits (<c>b827eb123456</c>), or, without a MAC, <c>Device:Id</c> with every other character made <c>_</c>.</summary>
    public static string NodeId(DeviceIdentity device) =>
        device.Mac.Length > 0
            ? device.Mac.Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant()
            : string.Concat(device.Id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_'));

    /// <summary>Where the config goes: <c>&lt;prefix&gt;/sensor/&lt;node id&gt;/temperature/config</c>.</summary>
    public static string Topic(string prefix, DeviceIdentity device) => $"{prefix}/sensor/{NodeId(device)}/temperature/config";

    /// <summary>The config's JSON, UTF-8; its state expires after three publish intervals without a reading.</summary>
    /// <param name="online">The status payloads, when the device has a status topic.</param>
    public static byte[] Payload(DeviceIdentity device, TimeSpan interval, (string Online, string Offline) online)
    {
        string node = NodeId(device);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("unique_id", $"labtelemetry_{node}_temperature");
            json.WriteString("name", "Temperature");
            json.WriteString("device_class", "temperature");
            json.WriteString("unit_of_measurement", "°C");
            json.WriteString("state_class", "measurement");
            json.WriteString("state_topic", device.DataTopic);
            json.WriteString("value_template", "{{ value_json.temperature }}");
            if (device.StatusTopic is { } status)
            {
                json.WriteString("availability_topic", status);
                json.WriteString("payload_available", online.Online);
                json.WriteString("payload_not_available", online.Offline);
            }

            json.WriteNumber("expire_after", (int)Math.Ceiling(interval.TotalSeconds * 3));
            json.WriteStartObject("device");
            json.WriteStartArray("identifiers");
            json.WriteStringValue($"labtelemetry_{node}");
            json.WriteEndArray();
            if (device.Mac.Length > 0)
            {
                json.WriteStartArray("connections");
                json.WriteStartArray();
                json.WriteStringValue("mac");
                json.WriteStringValue(device.Mac.ToLowerInvariant());
                json.WriteEndArray();
                json.WriteEndArray();
            }

            json.WriteString("name", $"LabTelemetry {device.Id}");
            json.WriteString("model", "DS18B20 thermometer");
            json.WriteString("manufacturer", "LabTelemetry");
            json.WriteString("sw_version", SoftwareVersion.Value);
            json.WriteEndObject();
            json.WriteStartObject("origin");
            json.WriteString("name", "LabTelemetry");
            json.WriteString("sw_version", SoftwareVersion.Value);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
