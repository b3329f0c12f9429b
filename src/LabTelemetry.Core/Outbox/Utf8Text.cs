using System.Text;

namespace LabTelemetry.Core.Outbox;

/// <summary>UTF-8 bytes that become text only if a log event is actually written.</summary>
internal readonly record struct Utf8Text(byte[] Bytes)
{
    public override string ToString() => Encoding.UTF8.GetString(Bytes);
}
