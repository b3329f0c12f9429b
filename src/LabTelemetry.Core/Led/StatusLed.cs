using LabTelemetry.Core.Gpio;

namespace LabTelemetry.Core.Led;

/// <summary>
/// Shows the worst <see cref="LedState"/> that holds on the LED at <c>Led:Pin</c>, in a loop of its own: whoever tells
/// it something only sets a flag, so a stuck LED never delays a read or a publish.
/// </summary>
/// <param name="open">Takes the pin (off), or says why not and returns <see langword="null"/>: then the service runs without an LED.</param>
/// <param name="sensorFaulty">Whether the thermometer's last read failed.</param>
/// <param name="connected">Whether the broker connection is up.</param>
public sealed partial class StatusLed(Func<OutputPin?> open, Func<bool> sensorFaulty, Func<bool> connected, TimeProvider timeProvider, ILogger<StatusLed> logger) : BackgroundService
{
    private TaskCompletionSource _wake = NewSignal();
    private long _answeredAt = -1;
    private volatile bool _heartbeatDue;
    private long _lastBlip = -1;
    private bool? _lit;

    /// <summary>Something it shows may have changed (the sensor, the connection): look again now.</summary>
    public void Changed() => Interlocked.Exchange(ref _wake, NewSignal()).TrySetResult();

    /// <summary>The broker acknowledged a reading: one heartbeat blip, unless one was shown less than a second ago.</summary>
    public void Acknowledged()
    {
        _heartbeatDue = true;
        Changed();
    }

    /// <summary>The grader answered our group: shown for <see cref="LedPattern.AnsweredFor"/>.</summary>
    public void Answered()
    {
        Interlocked.Exchange(ref _answeredAt, timeProvider.GetTimestamp());
        Changed();
    }

    /// <summary>The worst state that holds now.</summary>
    public LedState Current() =>
        sensorFaulty() ? LedState.SensorFault
        : !connected() ? LedState.NoBroker
        : AnsweredLeft() > TimeSpan.Zero ? LedState.Answered
        : LedState.Connected;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the host's start: opening and every write happen on this loop alone.
        await Task.Yield();
        var pin = open();
        if (pin is null)
        {
            return;
        }

        bool failed = false;
        try
        {
            await ShowAsync(pin, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (IOException ex)
        {
            failed = true;
            Log.Failed(logger, pin.Pin, ex.Message);
        }
        finally
        {
            Release(pin, failed);
        }
    }

    private async Task ShowAsync(OutputPin pin, CancellationToken stoppingToken)
    {
        LedState? shown = null;
        int step = 0;
        long phaseStarted = 0;
        TimeSpan phase = TimeSpan.Zero;
        while (true)
        {
            stoppingToken.ThrowIfCancellationRequested();
            var woken = Volatile.Read(ref _wake).Task;
            var state = Current();
            if (state != shown)
            {
                shown = state;
                step = 0;
                phase = TimeSpan.Zero;
            }

            TimeSpan wait;
            if (state == LedState.Connected)
            {
                wait = Heartbeat(pin);
            }
            else
            {
                if (timeProvider.GetElapsedTime(phaseStarted) >= phase)
                {
                    var steps = LedPattern.Steps(state);
                    (bool on, phase) = steps[step++ % steps.Length];
                    Show(pin, on);
                    phaseStarted = timeProvider.GetTimestamp();
                }

                wait = phase - timeProvider.GetElapsedTime(phaseStarted);
                if (state == LedState.Answered && AnsweredLeft() < wait)
                {
                    wait = AnsweredLeft();
                }
            }

            await WaitAsync(woken, wait, stoppingToken).ConfigureAwait(false);
        }
    }

    // Steady on; a dark blip when an acknowledgement is due one and the last was at least a second ago.
    private TimeSpan Heartbeat(OutputPin pin)
    {
        TimeSpan sinceBlip = _lastBlip < 0 ? TimeSpan.MaxValue : timeProvider.GetElapsedTime(_lastBlip);
        if (sinceBlip < LedPattern.Blip)
        {
            return LedPattern.Blip - sinceBlip;
        }

        bool due = _heartbeatDue;
        if (due && sinceBlip >= LedPattern.BlipAtMostEvery)
        {
            _heartbeatDue = false;
            _lastBlip = timeProvider.GetTimestamp();
            Show(pin, false);
            return LedPattern.Blip;
        }

        Show(pin, true);
        return due ? LedPattern.BlipAtMostEvery - sinceBlip : Timeout.InfiniteTimeSpan;
    }

    private TimeSpan AnsweredLeft()
    {
        long at = Interlocked.Read(ref _answeredAt);
        return at < 0 ? TimeSpan.Zero : LedPattern.AnsweredFor - timeProvider.GetElapsedTime(at);
    }

    private void Show(OutputPin pin, bool on)
    {
        if (_lit != on)
        {
            pin.Set(on);
            _lit = on;
        }
    }

    private async Task WaitAsync(Task woken, TimeSpan wait, CancellationToken stoppingToken)
    {
        if (wait < TimeSpan.Zero && wait != Timeout.InfiniteTimeSpan)
        {
            wait = TimeSpan.Zero;
        }

        try
        {
            await (wait == Timeout.InfiniteTimeSpan ? woken.WaitAsync(stoppingToken) : woken.WaitAsync(wait, timeProvider, stoppingToken)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The step is over.
        }
    }

    // Dark and released; after a failed write the release is tried as well, but its failure was said already.
    private void Release(OutputPin pin, bool failed)
    {
        try
        {
            pin.Dispose();
        }
        catch (IOException ex) when (!failed)
        {
            Log.Failed(logger, pin.Pin, ex.Message);
        }
        catch (IOException)
        {
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Led:Pin GPIO{Pin}: the LED cannot be set ({Problem}); it is released and the service goes on without it")]
        public static partial void Failed(ILogger logger, int pin, string problem);
    }
}
