using System.Device.Gpio;

namespace LabTelemetry.Tests.Support;

/// <summary>
/// A GPIO chip that does not exist, under System.Device.Gpio's own <see cref="GpioController"/>: it records what was
/// done to each line and when (fake time), and fails writes when told to, as a chip that went away does.
/// </summary>
internal sealed class RecordingGpioDriver(Func<TimeSpan> now) : GpioDriver
{
    private readonly Dictionary<int, PinValue> _values = [];
    private readonly List<(TimeSpan At, string What)> _events = [];

    /// <summary>Gets or sets a value indicating whether each write throws, as the kernel's EIO or ENODEV would.</summary>
    public bool FailWrites { get; set; }

    /// <summary>Called after each write: what the wiring does when the line changes (a thermometer powered up).</summary>
    public Action<int, PinValue>? Written { get; set; }

    /// <summary>Each thing done, with its moment: <c>open 17</c>, <c>17 high</c>, <c>17 low</c>, <c>close 17</c>.</summary>
    public (TimeSpan At, string What)[] Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>The levels written, with their moments, the open's initial level first.</summary>
    public (TimeSpan At, string What)[] Edges => [.. Events.Where(e => !e.What.StartsWith("open", StringComparison.Ordinal) && !e.What.StartsWith("close", StringComparison.Ordinal))];

    protected override int PinCount => 54;

    protected override void OpenPin(int pinNumber) => Record($"open {pinNumber}");

    protected override void ClosePin(int pinNumber) => Record($"close {pinNumber}");

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
    }

    protected override void SetPinMode(int pinNumber, PinMode mode, PinValue initialValue) => Write(pinNumber, initialValue);

    protected override PinMode GetPinMode(int pinNumber) => PinMode.Output;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => mode == PinMode.Output;

    protected override PinValue Read(int pinNumber)
    {
        lock (_events)
        {
            return _values.GetValueOrDefault(pinNumber, PinValue.Low);
        }
    }

    protected override void Write(int pinNumber, PinValue value)
    {
        if (FailWrites)
        {
            throw new IOException($"line {pinNumber}: Input/output error");
        }

        lock (_events)
        {
            _values[pinNumber] = value;
        }

        Record($"{pinNumber} {(value == PinValue.High ? "high" : "low")}");
        Written?.Invoke(pinNumber, value);
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) => throw new NotSupportedException();

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) => throw new NotSupportedException();

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) => throw new NotSupportedException();

    private void Record(string what)
    {
        lock (_events)
        {
            _events.Add((now(), what));
        }
    }
}
