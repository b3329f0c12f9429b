using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LabTelemetry.Core.Configuration;
using LabTelemetry.Core.Device;
using MQTTnet;
using MQTTnet.Formatter;

namespace LabTelemetry.Core.Mqtt;

/// <summary>Turns the <c>Mqtt</c> section and the device's identity into MQTTnet's client options.</summary>
public static class MqttClientOptionsFactory
{
    /// <param name="options">The <c>Mqtt</c> section.</param>
    /// <param name="clientId">Who we are to the broker (<see cref="DeviceIdentity.ClientId"/>).</param>
    /// <param name="will">The last will: a retained status the broker publishes when we vanish, or <see langword="null"/>.</param>
    /// <param name="maxPacketBytes">MQTT 5: the largest packet the broker may send us (bigger ones it drops), or <see langword="null"/>.</param>
    public static MqttClientOptions Create(MqttOptions options, string clientId, (string Topic, string Payload)? will = null, uint? maxPacketBytes = null)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(options.Host, options.Port)
            .WithClientId(clientId)
            .WithKeepAlivePeriod(options.KeepAlive)
            .WithTimeout(options.OperationTimeout)
            .WithProtocolVersion(options.IsVersion5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311);

        // A persistent session: the broker keeps our RESULT subscription, and queues what the grader
        // sends while we are away. MQTT 5 keeps nothing unless the session expiry is above zero.
        builder = options.IsVersion5
            ? builder.WithCleanStart(false).WithSessionExpiryInterval((uint)options.SessionExpiry.TotalSeconds)
            : builder.WithCleanSession(false);

        if (will is { } lastWill)
        {
            builder = builder.WithWillTopic(lastWill.Topic).WithWillPayload(lastWill.Payload).WithWillRetain(true)
                .WithWillQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        }

        if (options.IsVersion5 && maxPacketBytes is { } limit)
        {
            builder = builder.WithMaximumPacketSize(limit);
        }

        if (!string.IsNullOrEmpty(options.Username))
        {
            builder = builder.WithCredentials(options.Username, options.Password);
        }

        if (options.UseTls)
        {
            var trustChain = string.IsNullOrEmpty(options.CaFile) ? null : LoadCertificateAuthority(options.CaFile);
            builder = builder.WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost(options.Host);
                if (trustChain is not null)
                {
                    tls.WithTrustChain(trustChain);
                }
            });
        }

        return builder.Build();
    }

    private static X509Certificate2Collection LoadCertificateAuthority(string path)
    {
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(path);
            return certificates.Count > 0
                ? certificates
                : throw new ConfigurationException($"Mqtt:CaFile: '{path}' holds no PEM certificate.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ConfigurationException($"Mqtt:CaFile: cannot read '{path}': {ex.Message}", ex);
        }
    }
}
