using System.Globalization;

namespace LabTelemetry.Core.Sensors;

/// <summary>
/// What the kernel's w1_therm driver writes to <c>w1_slave</c>: the nine scratchpad bytes twice, the CRC verdict, and
/// the temperature in thousandths of a degree.
/// </summary>
public sealed record W1SlaveContents(byte[] Scratchpad, bool CrcValid, int MilliCelsius)
{
    // The file at 23.125 °C:
    // 72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
    // 72 01 4b 46 7f ff 0e 10 57 t=23125
    private const int ScratchpadLength = 9;

    public double Celsius => MilliCelsius / 1000.0;

    /// <summary>Gets a value indicating whether every scratchpad byte is zero: a data line stuck low, which the CRC does not catch.</summary>
    public bool IsAllZero => Scratchpad.All(b => b == 0);

    /// <summary>Parses the file's text; throws <see cref="FormatException"/> on anything else.</summary>
    public static W1SlaveContents Parse(string text)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length < 2)
        {
            throw new FormatException($"w1_slave has {lines.Length} line(s), expected 2.");
        }

        string[] crcLine = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (crcLine.Length != ScratchpadLength + 3 || crcLine[ScratchpadLength] != ":" || !crcLine[^2].StartsWith("crc=", StringComparison.Ordinal))
        {
            throw new FormatException($"w1_slave's first line is not '<9 bytes> : crc=XX YES|NO': '{lines[0]}'.");
        }

        bool crcValid = crcLine[^1] switch
        {
            "YES" => true,
            "NO" => false,
            _ => throw new FormatException($"w1_slave's CRC verdict is '{crcLine[^1]}', expected YES or NO."),
        };

        byte[] scratchpad = new byte[ScratchpadLength];
        for (int i = 0; i < ScratchpadLength; i++)
        {
            if (!byte.TryParse(crcLine[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out scratchpad[i]))
            {
                throw new FormatException($"w1_slave's byte {i} is '{crcLine[i]}', expected two hex digits.");
            }
        }

        int at = lines[1].LastIndexOf("t=", StringComparison.Ordinal);
        if (at < 0 || !int.TryParse(lines[1].AsSpan(at + 2), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int milliCelsius))
        {
            throw new FormatException($"w1_slave's second line has no 't=<thousandths>': '{lines[1]}'.");
        }

        return new W1SlaveContents(scratchpad, crcValid, milliCelsius);
    }
}
