using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Outbox;

[OptionsValidator]
public sealed partial class OutboxOptionsValidator : IValidateOptions<OutboxOptions>;
