using Microsoft.Extensions.Options;

namespace LabTelemetry.Core.Results;

[OptionsValidator]
public sealed partial class ResultsOptionsValidator : IValidateOptions<ResultsOptions>;
