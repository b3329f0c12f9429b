using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Mqtt;

[OptionsValidator]
public sealed partial class MqttOptionsValidator : IValidateOptions<MqttOptions>;
