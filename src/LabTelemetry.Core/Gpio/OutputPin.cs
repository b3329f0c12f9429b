using System.Device.Gpio;

namespace LabTelemetry.Core.Gpio;

/// <summary>
/// One line driven as an output through System.Device.Gpio, in terms of what it does (<c>on</c>), not of its level;
/// disposed, it is left at its rest level and released.
/// </summary>
/// <param name="activeLow">On is low: an LED wired from 3.3 V to the pin.</param>
/// <param name="restOn">What the line is left at when released: an LED off, a thermometer's supply on.</param>
public sealed class OutputPin(GpioController controller, int pin, bool activeLow, bool restOn) : IDisposable
{
    private readonly object _lock = new();
    private bool _open;

    public int Pin { get; } = pin;

    /// <summary>Takes the line, at its rest level from the first moment.</summary>
    public OutputPin Open()
    {
        controller.OpenPin(Pin, PinMode.Output, Level(restOn));
        _open = true;
        return this;
    }

    /// <exception cref="IOException">The driver could not set the line (it is gone, or the chip refused).</exception>
    public void Set(bool on)
    {
        lock (_lock)
        {
            if (_open)
            {
                controller.Write(Pin, Level(on));
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (!_open)
            {
                return;
            }

            _open = false;
            try
            {
                controller.Write(Pin, Level(restOn));
            }
            finally
            {
                controller.ClosePin(Pin);
                controller.Dispose();
            }
        }
    }

    private PinValue Level(bool on) => on != activeLow ? PinValue.High : PinValue.Low;
}
