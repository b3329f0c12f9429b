using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Telemetry;

[OptionsValidator]
public sealed partial class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>;
