using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Sensors;

[OptionsValidator]
public sealed partial class SensorOptionsValidator : IValidateOptions<SensorOptions>;
