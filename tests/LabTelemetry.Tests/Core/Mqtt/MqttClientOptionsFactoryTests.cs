using LabTelemetry.Core.Configuration;
using LabTelemetry.Core.Device;
using LabTelemetry.Core.Mqtt;
using LabTelemetry.Tests.Support;
using MQTTnet.Formatter;

namespace LabTelemetry.Tests.Core.Mqtt;

public class MqttClientOptionsFactoryTests
{
    private static readonly DeviceIdentity Pi = TestDevice.Pi;

    [Fact]
    public void Create_Defaults_AreMqtt311WithAPersistentSession()
    {
        var options = MqttClientOptionsFactory.Create(new MqttOptions(), Pi.ClientId);

        Assert.Equal(MqttProtocolVersion.V311, options.ProtocolVersion);
        Assert.False(options.CleanSession);
        Assert.Equal("labtelemetry-b827eb123456", options.ClientId);
        Assert.Equal(TimeSpan.FromSeconds(30), options.KeepAlivePeriod);
    }

    [Fact]
    public void Create_Mqtt5_KeepsTheSessionWithAnExpiryAboveZero()
    {
        var options = MqttClientOptionsFactory.Create(new MqttOptions { ProtocolVersion = "5", SessionExpiry = TimeSpan.FromHours(2) }, Pi.ClientId);

        Assert.Equal(MqttProtocolVersion.V500, options.ProtocolVersion);
        Assert.False(options.CleanSession);
        Assert.Equal(7200u, options.SessionExpiryInterval);
    }

    [Fact]
    public void Create_Credentials_ArePassedOn()
    {
        var options = MqttClientOptionsFactory.Create(new MqttOptions { Username = "student", Password = "secret" }, Pi.ClientId);

        Assert.Equal("student", options.Credentials.GetUserName(options));
    }

    [Fact]
    public void Create_CaFileThatIsNotACertificate_NamesTheKey()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a certificate");

            var ex = Assert.Throws<ConfigurationException>(() => MqttClientOptionsFactory.Create(new MqttOptions { UseTls = true, CaFile = path }, Pi.ClientId));

            Assert.Contains("Mqtt:CaFile", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
