using LabTelemetry.Core.Sensors;

namespace LabTelemetry.Tests.Support;

/// <summary>A thermometer that answers from a script: a number, or a fault. Stands in for hardware a build machine lacks.</summary>
internal sealed class ScriptedSensor(params object[] script) : ITemperatureSensor
{
    private readonly Queue<object> _script = new(script);

    public string Name => "28-0000scripted";

    public void Then(params object[] more)
    {
        foreach (object step in more)
        {
            _script.Enqueue(step);
        }
    }

    public Task<double> ReadCelsiusAsync(CancellationToken cancellationToken) => _script.Dequeue() switch
    {
        double celsius => Task.FromResult(celsius),
        SensorFault fault => Task.FromException<double>(new SensorException(fault, $"scripted {fault}")),
        Exception ex => Task.FromException<double>(ex),
        var other => throw new InvalidOperationException($"cannot script {other}"),
    };
}
