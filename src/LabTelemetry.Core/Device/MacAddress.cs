using System.Globalization;
using System.Text;

namespace LabTelemetry.Core.Device;

/// <summary>Writes a hardware address in one of the <see cref="MacFormat"/> styles.</summary>
public static class MacAddress
{
    public static string Format(ReadOnlySpan<byte> address, MacFormat format)
    {
        bool upper = format is MacFormat.UpperCaseColons or MacFormat.UpperCaseNoSeparator;
        bool colons = format is MacFormat.LowerCaseColons or MacFormat.UpperCaseColons;
        var text = new StringBuilder(address.Length * 3);
        for (int i = 0; i < address.Length; i++)
        {
            if (colons && i > 0)
            {
                text.Append(':');
            }

            text.Append(address[i].ToString(upper ? "X2" : "x2", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
