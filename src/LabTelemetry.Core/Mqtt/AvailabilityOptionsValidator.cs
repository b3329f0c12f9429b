using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Mqtt;

[OptionsValidator]
public sealed partial class AvailabilityOptionsValidator : IValidateOptions<AvailabilityOptions>;
