namespace LabTelemetry.Core.Device;

/// <summary>How the MAC address is written into the topic and the client id.</summary>
public enum MacFormat
{
    /// <summary><c>b8:27:eb:12:34:56</c>, as the course's example and <c>/sys/class/net/*/address</c> write it.</summary>
    LowerCaseColons,

    /// <summary><c>B8:27:EB:12:34:56</c>.</summary>
    UpperCaseColons,

    /// <summary><c>b827eb123456</c>.</summary>
    LowerCaseNoSeparator,

    /// <summary><c>B827EB123456</c>.</summary>
    UpperCaseNoSeparator,
}
