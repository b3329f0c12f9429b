using System.Globalization;
using System.Text;
using LabTelemetry.Core.Outbox;
using LabTelemetry.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace LabTelemetry.Tests.Core.Outbox;

/// <summary>
/// The outbox's promise against a power cut at every step of a run: the files are cut back to what was synced (see
/// <see cref="PowerCutFiles"/>), and the outbox opened on what is left must hold every reading the broker had not
/// acknowledged that was reported durable or had waited <c>Outbox:SyncAfter</c>, each as it was made, and must give
/// no number that was given before.
/// </summary>
public sealed class OutboxPowerCutTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan SyncAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    // A reading every half second for 25 s; the broker takes each at once for 5 s, then each 3 s late (past SyncAfter),
    // then none for 10 s, then the backlog five a tick.
    private const int Ticks = 250;

    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private sealed record Made(long Sequence, string Payload, DateTimeOffset TakenAt, long MadeAt);

    private sealed class Run
    {
        public List<Made> Made { get; } = [];

        public HashSet<long> Acknowledged { get; } = [];

        public long Watermark { get; set; }

        public int Steps { get; set; }

        public required FakeTimeProvider Clock { get; init; }

        public long CutAt { get; set; }
    }

    /// <summary>Runs the scenario in <paramref name="directory"/> until <paramref name="cutAfter"/> steps, then cuts the power into <paramref name="image"/>.</summary>
    private static async Task<Run> RunAsync(string directory, string image, int cutAfter)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var files = new PowerCutFiles();
        var log = new FakeLogger<DiskOutbox>();
        var outbox = new DiskOutbox(new OutboxOptions { Directory = directory, SyncAfter = SyncAfter }, log, time, files);
        var run = new Run { Clock = time };
        bool Step() => ++run.Steps >= cutAfter;
        try
        {
            for (int tick = 0; tick < Ticks; tick++)
            {
                var now = TimeSpan.FromTicks(Tick.Ticks * tick);
                if (tick % 5 == 0)
                {
                    string payload = $"{{\"temperature\": {tick}}}";
                    outbox.Enqueue("DATA/b8:27:eb:12:34:56", Encoding.UTF8.GetBytes(payload), 1, time.GetUtcNow().AddTicks(123));
                    run.Made.Add(new Made(outbox.Waiting()[^1], payload, time.GetUtcNow().AddTicks(123), time.GetTimestamp()));
                    if (Step())
                    {
                        break;
                    }
                }

                int acks = 0;
                while (outbox.Count > 0 && await outbox.PeekAsync(CancellationToken.None) is var oldest && Takes(now, oldest, run, time, ref acks))
                {
                    outbox.Acknowledge(oldest.Sequence);
                    run.Acknowledged.Add(oldest.Sequence);
                    if (Step())
                    {
                        break;
                    }
                }

                if (run.Steps >= cutAfter)
                {
                    break;
                }

                time.Advance(Tick);
                if (Step())
                {
                    break;
                }
            }

            run.Watermark = log.Collector.GetSnapshot()
                .Where(r => r.Message.StartsWith("Outbox: durable through sequence ", StringComparison.Ordinal))
                .Select(r => long.Parse(r.Message.Split(' ')[^1], CultureInfo.InvariantCulture))
                .DefaultIfEmpty(0)
                .Max();
            run.CutAt = time.GetTimestamp();
            files.CutPower(directory, image);
            return run;
        }
        finally
        {
            // No clean stop: what Dispose would sync is not in the image, which was cut before.
            if (run.Steps < cutAfter)
            {
                outbox.Dispose();
            }
        }
    }

    // The broker's side of the scenario: whether it acknowledges the oldest waiting reading now.
    private static bool Takes(TimeSpan now, OutboxMessage oldest, Run run, FakeTimeProvider time, ref int acks)
    {
        var age = time.GetElapsedTime(run.Made.Single(m => m.Sequence == oldest.Sequence).MadeAt);
        return now.TotalSeconds switch
        {
            < 5 => true,
            < 10 => age >= TimeSpan.FromSeconds(3),
            < 20 => false,
            _ => acks++ < 5,
        };
    }

    [Fact]
    public async Task APowerCutAtEveryStep_LosesNoReadingReportedDurableOrOlderThanSyncAfter_AndReusesNoNumber()
    {
        int steps = (await RunAsync(Path.Combine(_scratch.Path, "whole"), Path.Combine(_scratch.Path, "whole-image"), int.MaxValue)).Steps;
        Assert.True(steps > 300, $"only {steps} steps");
        var problems = new List<string>();
        for (int cut = 1; cut <= steps; cut++)
        {
            string directory = Path.Combine(_scratch.Path, $"run-{cut}");
            string image = Path.Combine(_scratch.Path, $"image-{cut}");
            var run = await RunAsync(directory, image, cut);
            problems.AddRange(Check(run, image, cut));
            Directory.Delete(directory, recursive: true);
            Directory.Delete(image, recursive: true);
        }

        output.WriteLine($"{steps} power cuts, {problems.Count} problems");
        foreach (string problem in problems.Take(5))
        {
            output.WriteLine(problem);
        }
        Assert.Empty(problems);
    }

    private static IEnumerable<string> Check(Run run, string image, int cut)
    {
        var time = new FakeTimeProvider();
        using var recovered = new DiskOutbox(new OutboxOptions { Directory = image }, new FakeLogger<DiskOutbox>(), time, FileLayer.Disk);
        var kept = new Dictionary<long, OutboxMessage>();
        for (var waiting = recovered.PeekAfter(0); waiting is not null; waiting = recovered.PeekAfter(waiting.Sequence))
        {
            kept[waiting.Sequence] = waiting;
        }

        foreach (var made in run.Made.Where(m => !run.Acknowledged.Contains(m.Sequence)))
        {
            // The deadline fires at the tick that reaches it: a reading that waited longer than SyncAfter and a tick is synced.
            bool promised = made.Sequence <= run.Watermark || run.Clock.GetElapsedTime(made.MadeAt, run.CutAt) > SyncAfter + Tick;
            if (promised && !kept.ContainsKey(made.Sequence))
            {
                yield return $"cut after step {cut}: reading {made.Sequence} ({made.Payload}) was not acknowledged and {(made.Sequence <= run.Watermark ? $"reported durable (watermark {run.Watermark})" : "older than SyncAfter")}, and is lost (it had waited {run.Clock.GetElapsedTime(made.MadeAt, run.CutAt).TotalSeconds:0.0} s)";
            }
        }

        foreach (var (sequence, message) in kept)
        {
            if (run.Made.SingleOrDefault(m => m.Sequence == sequence) is not { } made)
            {
                yield return $"cut after step {cut}: reading {sequence} came back, but was never made";
            }
            else if (Encoding.UTF8.GetString(message.Payload) != made.Payload || message.TakenAt != DateTimeOffset.FromUnixTimeMilliseconds(made.TakenAt.ToUnixTimeMilliseconds()))
            {
                yield return $"cut after step {cut}: reading {sequence} came back changed";
            }
        }

        long given = run.Made.Count > 0 ? run.Made.Max(m => m.Sequence) : 0;
        long next = recovered.NumberOfTheNextReading();
        if (next <= given)
        {
            yield return $"cut after step {cut}: number {next} given again (up to {given} were given before)";
        }
    }
}
