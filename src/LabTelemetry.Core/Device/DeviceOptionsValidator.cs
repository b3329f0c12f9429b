using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Device;

[OptionsValidator]
public sealed partial class DeviceOptionsValidator : IValidateOptions<DeviceOptions>;
