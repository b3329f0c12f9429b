using LabTelemetry.Core;
using LabTelemetry.Core.Mqtt;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LabTelemetry.Tests.Core;

/// <summary>The container builds our services from factories, and each section is bound and validated as the options pipeline would.</summary>
public sealed class CompositionTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void EveryService_IsMadeByAFactoryOrIsAnInstance()
    {
        var services = new ServiceCollection().AddLabTelemetry(Settings());
        LabTelemetry.Worker.Systemd.SystemdIntegration.AddSystemdIntegration(services);

        // A type registration would make the container read constructors by reflection, and close open generics
        // while the process runs: megabytes of heap at start under NativeAOT.
        var byType = services.Where(d => d.ImplementationType is not null).Select(d => d.ServiceType.Name).ToList();
        Assert.Empty(byType);
        Assert.Contains(services, d => d.ServiceType == typeof(IOptions<MqttOptions>));
    }

    [Fact]
    public void ASection_IsBoundFromConfiguration()
    {
        using var provider = new ServiceCollection().AddLabTelemetry(Settings(("Mqtt:Host", "broker.lab"), ("Mqtt:Port", "8883"))).BuildServiceProvider();

        var mqtt = provider.GetRequiredService<IOptions<MqttOptions>>().Value;

        Assert.Equal("broker.lab", mqtt.Host);
        Assert.Equal(8883, mqtt.Port);
    }

    [Fact]
    public void AnInvalidValue_ThrowsTheValidatorsMessage()
    {
        using var provider = new ServiceCollection().AddLabTelemetry(Settings(("Device:Id", "a/b"))).BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<IOptions<LabTelemetry.Core.Device.DeviceOptions>>);

        Assert.Contains("Device:Id must be one topic level", ex.Message);
    }

    [Fact]
    public void AnUnknownKey_IsAnError()
    {
        using var provider = new ServiceCollection().AddLabTelemetry(Settings(("Mqtt:Hots", "broker.lab"))).BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(provider.GetRequiredService<IOptions<MqttOptions>>);

        Assert.Contains("Hots", ex.Message);
    }
}
