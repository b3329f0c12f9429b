using System.Text;

namespace LabTelemetry.Core.Delivery;

/// <summary>A payload for the log: its UTF-8 bytes become text only if the event is actually written.</summary>
internal readonly record struct PublishedPayload(byte[] Bytes)
{
    public override string ToString() => Encoding.UTF8.GetString(Bytes);
}
