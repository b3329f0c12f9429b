#!/usr/bin/env python3
"""LabTelemetry against the Python peer a student would write, side by side in one run, on one real Mosquitto.

Measures, for each: start-up to the first message at the broker, resident memory in steady state, CPU (task run
time) at 10 Hz and idle at the default interval, syncs, system calls and bytes written per reading, syncs during an
outage, the drain rate of 10 000 buffered readings, and recovery after the broker returns; for the worker also how
closely publishes keep a 1 s schedule while each sensor read takes 750 ms. With --baseline, a second worker build
(an older commit's) is measured as a third contender in the same run. Prints a table with the ratios and writes it
as JSON. Run it through bench/run.sh."""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import tempfile
import threading
import time
import zlib

import paho.mqtt.client as mqtt

HERE = os.path.dirname(os.path.abspath(__file__))
GROUP, STUDENT = "БАГ-18-01", "Иванов И.И"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """Mosquitto on a free loopback port, persistent so a subscriber misses nothing across a restart."""

    def __init__(self):
        self.port, self.dir, self.process = free_port(), tempfile.mkdtemp(prefix="bench-mosquitto-"), None
        os.chmod(self.dir, 0o777)
        with open(os.path.join(self.dir, "m.conf"), "w") as conf:
            conf.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                       f"persistence_location {self.dir}/\nmax_queued_messages 0\n")

    def start(self):
        self.process = subprocess.Popen(["mosquitto", "-c", os.path.join(self.dir, "m.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return time.monotonic()
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait()
            self.process = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Subscriber:
    """The grader's side: every DATA message with the time it arrived."""

    def __init__(self, broker):
        self.arrivals, self.lock = [], threading.Lock()
        self.client = mqtt.Client(client_id="bench-subscriber", clean_session=False)
        self.client.on_connect = lambda c, u, f, rc: c.subscribe("DATA/#", qos=1)
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.05, 0.2)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message):
        with self.lock:
            self.arrivals.append((message.topic, time.monotonic()))

    def times(self, topic, since=0.0):
        with self.lock:
            return [t for (tp, t) in self.arrivals if tp == topic and t >= since]

    def wait(self, topic, count, since=0.0, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            times = self.times(topic, since)
            if len(times) >= count:
                return times
            time.sleep(0.002)
        raise RuntimeError(f"{topic}: {len(self.times(topic, since))} of {count} messages within {timeout} s")

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


class Contender:
    def __init__(self, name, topic, command):
        self.name, self.topic, self.command = name, topic, command

    def start(self, interval, broker, extra=(), wrapper=(), output=subprocess.DEVNULL):
        return subprocess.Popen([*wrapper, *self.command(interval, broker, *extra)],
                                stdout=output, stderr=subprocess.STDOUT if output != subprocess.DEVNULL else subprocess.DEVNULL)


def worker(build, scratch, name="worker"):
    def command(interval, broker, *extra):
        # A fresh outbox each run: readings one measurement left behind must not arrive during the next.
        outbox = tempfile.mkdtemp(prefix="outbox-", dir=scratch)
        return [os.path.join(build, "LabTelemetry.Worker"), f"--Mqtt:Host=127.0.0.1", f"--Mqtt:Port={broker.port}",
                "--Sensor:Kind=Simulated", f"--Telemetry:Group={GROUP}", f"--Telemetry:Students:0={STUDENT}",
                f"--Device:Id=bench-{name}", f"--Telemetry:Interval={interval}", f"--Outbox:Directory={outbox}", *extra]
    return Contender(name, f"DATA/bench-{name}", command)


def peer():
    def command(interval, broker, *extra):
        return ["/usr/bin/python3", os.path.join(HERE, "peer.py"), "--port", str(broker.port), "--topic", "DATA/bench-peer",
                "--interval", str(interval_seconds(interval)), "--group", GROUP, "--student", STUDENT, *extra]
    return Contender("peer", "DATA/bench-peer", command)


def interval_seconds(interval):
    h, m, s = interval.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def stop(process):
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class TaskClock:
    """Run time of every thread of a process (first field of /proc/<pid>/task/*/schedstat, ns), sampled every
    half second: precise where /proc/<pid>/stat counts 10 ms ticks. A thread that ends between samples loses at most
    its last half second; per thread name (comm), so the breakdown names the threads that cost."""

    def __init__(self, pid, every=0.5):
        self.pid, self.every, self.names = pid, every, {}
        self.first = self._sample()
        self.last = dict(self.first)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self):
        values = {}
        try:
            tasks = os.listdir(f"/proc/{self.pid}/task")
        except FileNotFoundError:
            return values
        for task in tasks:
            try:
                with open(f"/proc/{self.pid}/task/{task}/schedstat") as stat:
                    values[task] = int(stat.read().split()[0])
                if task not in self.names:
                    with open(f"/proc/{self.pid}/task/{task}/comm") as comm:
                        self.names[task] = comm.read().strip()
            except (FileNotFoundError, ProcessLookupError):
                pass
        return values

    def _run(self):
        while not self._stop.wait(self.every):
            self.last.update(self._sample())

    def stop(self):
        """Seconds of run time since the start, in all, and per thread name."""
        self._stop.set()
        self._thread.join()
        self.last.update(self._sample())
        by_name = {}
        for task, ns in self.last.items():
            # A thread born meanwhile counts from zero.
            name = self.names.get(task, "?")
            by_name[name] = by_name.get(name, 0) + (ns - self.first.get(task, 0)) / 1e9
        return sum(by_name.values()), by_name


def resident_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        line = next(l for l in status if l.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def context_switches(pid):
    """Voluntary and involuntary context switches of every thread of the process so far."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as status:
                total += sum(int(l.split()[1]) for l in status if l.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")))
        except FileNotFoundError:
            pass
    return total


def written_bytes(pid):
    """Bytes this process caused to be sent to the storage layer (/proc/<pid>/io write_bytes)."""
    with open(f"/proc/{pid}/io") as io:
        return next(int(l.split()[1]) for l in io if l.startswith("write_bytes:"))


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def startup(contender, broker, subscriber, runs, interval="00:00:00.100"):
    times = []
    for _ in range(runs):
        began = time.monotonic()
        process = contender.start(interval, broker)
        first = subscriber.wait(contender.topic, 1, since=began)[0]
        times.append((first - began) * 1000)
        stop(process)
    return summary(times)


def steady_memory(contender, broker, subscriber, seconds):
    """Resident memory once a second, from the fifth reading at a 1 s interval on for `seconds`: what the device
    holds while it works, not only just after start (the worker gives start-up's memory back 2 s after start)."""
    process = contender.start("00:00:01", broker)
    subscriber.wait(contender.topic, 5, since=time.monotonic())
    samples = []
    for _ in range(seconds):
        samples.append(resident_mib(process.pid))
        time.sleep(1)
    stop(process)
    return summary(samples)


def cpu_at_10hz(contenders, broker, subscriber, runs, window=30):
    """CPU seconds (task run time) per 10 s of publishing at 10 Hz, measured over `window` seconds; the contenders
    take turns run by run, so a change in the shared machine's load falls on each alike."""
    results = {c.name: [] for c in contenders}
    threads = {c.name: {} for c in contenders}
    ticks = {c.name: [] for c in contenders}
    for _ in range(runs):
        for contender in contenders:
            process = contender.start("00:00:00.100", broker)
            subscriber.wait(contender.topic, 20, since=time.monotonic())  # warmed up
            before, began, clock = cpu_seconds(process.pid), time.monotonic(), TaskClock(process.pid)
            time.sleep(window)
            used, by_name = clock.stop()
            ticks[contender.name].append((cpu_seconds(process.pid) - before) * 10 / window)
            delivered = len(subscriber.times(contender.topic, began))
            stop(process)
            if delivered < window * 8:
                raise RuntimeError(f"{contender.name} delivered only {delivered} messages in {window} s at 10 Hz")
            results[contender.name].append(used * 10 / window)
            for name, seconds in by_name.items():
                threads[contender.name].setdefault(name, []).append(seconds * 1000 / delivered)
    return {name: {**summary(values), "clock_ticks_median": statistics.median(ticks[name]),
                   "ms_per_reading_by_thread": top_threads(threads[name])}
            for name, values in results.items()}


def top_threads(threads):
    """Each thread name's median run time per reading (ms), costliest first."""
    return dict(sorted(((n, round(statistics.median(v), 4)) for n, v in threads.items()), key=lambda kv: -kv[1]))


SEGMENT_CAPACITY = 1 << 20


def idle_cpu(contenders, broker, subscriber, seconds):
    """Task run time at the default 5 s interval over `seconds`, all contenders side by side in the same window:
    what a device costs when it mostly waits, under the same load on the machine."""
    began = time.monotonic()
    processes = [(c, c.start("00:00:05", broker)) for c in contenders]
    for contender, _ in processes:
        subscriber.wait(contender.topic, 2, since=began, timeout=30)
    clocks = [(c, p, TaskClock(p.pid), cpu_seconds(p.pid)) for c, p in processes]
    time.sleep(seconds)
    results = {}
    for contender, process, clock, ticks in clocks:
        used, by_name = clock.stop()
        results[contender.name] = {"cpu_seconds": used, "seconds": seconds, "clock_ticks_seconds": cpu_seconds(process.pid) - ticks,
                                   "seconds_by_thread": dict(sorted(((n, round(v, 4)) for n, v in by_name.items()), key=lambda kv: -kv[1]))}
    for _, process in processes:
        stop(process)
    return results


SYNC_CALLS = ("fsync", "fdatasync", "sync_file_range", "syncfs", "sync", "msync")


def per_reading(contender, broker, subscriber, seconds):
    """At 10 Hz: context switches and bytes written per delivered reading, then, in a second run under strace, the
    system calls per reading and how many of them sync, create, rename or remove a file (every call stopped and
    traced, which slows acknowledgements: the syncs without that are `syncs`)."""
    process = contender.start("00:00:00.100", broker)
    subscriber.wait(contender.topic, 20, since=time.monotonic())
    switches, written, began = context_switches(process.pid), written_bytes(process.pid), time.monotonic()
    time.sleep(seconds)
    readings = len(subscriber.times(contender.topic, began))
    result = {"readings": readings, "context_switches": (context_switches(process.pid) - switches) / readings,
              "write_bytes": (written_bytes(process.pid) - written) / readings}
    stop(process)
    if shutil.which("strace"):
        process = contender.start("00:00:00.100", broker)
        subscriber.wait(contender.topic, 20, since=time.monotonic())
        counts = os.path.join(tempfile.mkdtemp(prefix="bench-strace-"), "counts")
        # Readings counted over the whole time strace is attached, as its calls are.
        began = time.monotonic()
        tracer = subprocess.Popen(["strace", "-f", "-c", "-o", counts, "-p", str(process.pid)], stderr=subprocess.DEVNULL)
        time.sleep(seconds)
        tracer.send_signal(2)
        tracer.wait()
        readings = len(subscriber.times(contender.topic, began))
        stop(process)
        calls = strace_counts(counts)
        sync = sum(calls.get(c, 0) for c in SYNC_CALLS)
        files = sum(calls.get(c, 0) for c in ("openat", "creat", "rename", "renameat", "renameat2", "unlink", "unlinkat"))
        result.update({"syscalls": sum(calls.values()) / readings, "sync_calls": sync / readings, "syncs": sync,
                       "strace_readings": readings, "file_calls": files / readings,
                       "top": dict(sorted(((k, round(v / readings, 2)) for k, v in calls.items()), key=lambda kv: -kv[1])[:8])})
    return result


def syncs(contender, broker, subscriber, acknowledged_seconds, outage_seconds, sync_after=1.0):
    """Syncs at 10 Hz, first with the broker acknowledging for `acknowledged_seconds` (per reading), then with it away
    for `outage_seconds` (per Outbox:SyncAfter), and which file each synced. Under strace's seccomp filter, so only
    the sync calls stop the process and acknowledgements come as fast as without strace."""
    trace = os.path.join(tempfile.mkdtemp(prefix="bench-strace-"), "syncs")
    tracer = contender.start("00:00:00.100", broker, wrapper=("strace", "-f", "--seccomp-bpf", "-ttt", "-y", "-qq",
                                                               "-e", "trace=" + ",".join(SYNC_CALLS), "-o", trace))
    subscriber.wait(contender.topic, 20, since=time.monotonic())
    began = time.time()
    acked_from = time.monotonic()
    time.sleep(acknowledged_seconds)
    readings = len(subscriber.times(contender.topic, acked_from))
    away = time.time()
    broker.stop()
    time.sleep(outage_seconds)
    back_at = time.time()
    back = broker.start()
    # Every reading of the outage arrives, from the outbox, before the process stops.
    subscriber.wait(contender.topic, int(outage_seconds * 10 * 0.8), since=back, timeout=60)
    # strace's child is the contender: stopped as stop() does, strace then ends with it.
    with open(f"/proc/{tracer.pid}/task/{tracer.pid}/children") as children:
        child = int(children.read().split()[0])
    stopping = time.monotonic()
    os.kill(child, signal.SIGTERM)
    try:
        tracer.wait(30)
    except subprocess.TimeoutExpired:
        os.kill(child, signal.SIGKILL)
        tracer.wait()
    stop_seconds = time.monotonic() - stopping
    acked, outage = {}, {}
    with open(trace) as lines:
        for line in lines:
            fields = line.split()
            if len(fields) < 3 or "(" not in fields[2] or fields[2].endswith("resumed>"):
                continue
            when = float(fields[1])
            # fdatasync(14</tmp/…/outbox-0000000000000000001.log>) → the file's kind: a segment, the mark, the reservation
            name = fields[2].split("<", 1)[-1].split(">", 1)[0].rsplit("/", 1)[-1]
            kind = "segment" if name.startswith("outbox-") else name
            bucket = acked if began <= when < away else outage if away <= when < back_at else None
            if bucket is not None:
                bucket[kind] = bucket.get(kind, 0) + 1
    return {"acknowledged": {"syncs": sum(acked.values()), "readings": readings, "per_reading": sum(acked.values()) / readings,
                             "seconds": acknowledged_seconds, "by_file": acked},
            "outage": {"syncs": sum(outage.values()), "seconds": back_at - away, "per_sync_after": sum(outage.values()) / ((back_at - away) / sync_after),
                       "by_file": outage},
            "stop_seconds": stop_seconds}


def strace_counts(path):
    calls = {}
    with open(path) as report:
        for line in report:
            fields = line.split()
            if len(fields) >= 5 and fields[-1] not in ("syscall", "total") and fields[0][0].isdigit():
                calls[fields[-1]] = calls.get(fields[-1], 0) + int(fields[3])
    return calls


def startup_with_backlog(contender, scratch, backlog):
    """A worker build opening an outbox of 100 000 waiting readings, the broker away: time to open it, and memory."""
    outbox = os.path.join(scratch, "big-outbox")
    shutil.rmtree(outbox, ignore_errors=True)
    write_outbox(outbox, contender.topic, backlog)

    class Nowhere:
        port = free_port()

    began = time.monotonic()
    process = contender.start("00:10:00", Nowhere, (f"--Outbox:Directory={outbox}",), output=subprocess.PIPE)
    for line in process.stdout:
        if b"waiting from before" in line:
            opened = time.monotonic() - began
            break
    else:
        raise RuntimeError("the worker did not say how many readings wait")
    time.sleep(2)
    rss = resident_mib(process.pid)
    stop(process)
    shutil.rmtree(outbox, ignore_errors=True)
    return {"seconds_to_open": opened, "resident_mib": rss, "backlog": backlog}


def write_outbox(directory, topic, count):
    """The worker's outbox log as an outage leaves it (src/LabTelemetry.Core/Outbox/LogSegment.cs, OutboxRecord.cs):
    1 MiB zero-filled segments, each a 16-byte header and then records magic | length | body | CRC-32."""
    os.makedirs(directory, exist_ok=True)
    payload = json.dumps({"temperature": 21.5, "students": [STUDENT], "group": GROUP}, ensure_ascii=False).encode()
    topic_bytes = topic.encode()
    segment, used, first = None, 0, 0

    def close():
        if segment is not None:
            segment.write(bytes(SEGMENT_CAPACITY - used))
            segment.close()

    for sequence in range(1, count + 1):
        body = struct.pack(">qBqH", sequence, 1, 1_795_600_000_000 + sequence * 5000, len(topic_bytes)) + topic_bytes + payload
        framed = struct.pack(">i", len(body)) + body
        record = struct.pack(">I", 0x4C545232) + framed + struct.pack(">I", zlib.crc32(framed))
        if segment is None or used + len(record) > SEGMENT_CAPACITY:
            close()
            segment = open(os.path.join(directory, f"outbox-{sequence:019d}.log"), "wb")
            segment.write(struct.pack(">Qq", 0x4C54534547310A00, sequence))
            used = 16
        segment.write(record)
        used += len(record)
    close()


def drain(contender, broker, subscriber, backlog, scratch):
    if contender.name != "peer":
        outbox = os.path.join(scratch, "drain-outbox")
        shutil.rmtree(outbox, ignore_errors=True)
        write_outbox(outbox, contender.topic, backlog)
        extra = (f"--Outbox:Directory={outbox}",)
    else:
        extra = ("--backlog", str(backlog))
    began = time.monotonic()
    process = contender.start("00:10:00", broker, extra)
    times = subscriber.wait(contender.topic, backlog, since=began, timeout=300)
    stop(process)
    first, last = times[0], times[backlog - 1]
    return {"messages_per_second": backlog / max(last - first, 1e-6), "seconds_to_last": last - began, "backlog": backlog}


def recovery(contender, broker, subscriber, outages):
    process = contender.start("00:00:00.100", broker)
    subscriber.wait(contender.topic, 10, since=time.monotonic())
    delays = []
    for _ in range(outages):
        broker.stop()
        time.sleep(3)
        back = broker.start()
        first = subscriber.wait(contender.topic, 1, since=back, timeout=120)[0]
        delays.append((first - back) * 1000)
        time.sleep(2)
    stop(process)
    return summary(delays)


def schedule(contender, broker, subscriber, seconds):
    """The worker at a 1 s interval while every sensor read takes 750 ms, a DS18B20's 12-bit conversion time."""
    process = contender.start("00:00:01", broker, ("--Sensor:SimulatedReadTime=00:00:00.750",))
    # From the first publish on: start-up says nothing about the schedule.
    steady = subscriber.wait(contender.topic, 2, since=time.monotonic(), timeout=60)[1]
    times = subscriber.wait(contender.topic, seconds, since=steady, timeout=seconds + 60)[:seconds]
    stop(process)
    # Deviation of each arrival from the schedule t0 + i * 1 s, centred on the median so only jitter and drift remain.
    raw = [(t - times[0]) - i for i, t in enumerate(times)]
    centre = statistics.median(raw)
    deviations = sorted(abs(d - centre) * 1000 for d in raw)
    p99 = deviations[min(len(deviations) - 1, int(round(0.99 * (len(deviations) - 1))))]
    return {"p99_ms": p99, "max_ms": deviations[-1], "median_ms": statistics.median(deviations), "samples": len(deviations),
            "drift_ms": (raw[-1] - raw[0]) * 1000}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", required=True, help="the folder deploy/publish.sh --rid linux-x64 made")
    parser.add_argument("--baseline", help="another worker build (an older commit's publish.sh), measured as a third contender")
    parser.add_argument("--json", default=os.path.join(HERE, "results.json"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--schedule-seconds", type=int, default=100)
    parser.add_argument("--idle-seconds", type=int, default=600, help="task run time over this long at the default 5 s interval, all side by side")
    parser.add_argument("--memory-seconds", type=int, default=30, help="resident memory sampled once a second for this long")
    parser.add_argument("--sync-seconds", type=int, default=120, help="syncs counted at 10 Hz over this long with the broker acknowledging")
    parser.add_argument("--outage-seconds", type=int, default=30, help="the broker stopped this long to count syncs during an outage")
    parser.add_argument("--waiting", type=int, default=100_000, help="readings waiting in the outbox for the start-up measure")
    parser.add_argument("--only", nargs="*", help="measure only these (startup_ms, resident_mib, per_reading, idle_cpu, …)")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="bench-")
    broker = Broker()
    broker.start()
    subscriber = Subscriber(broker)
    contenders = [worker(args.worker, scratch), peer()]
    if args.baseline:
        contenders.append(worker(args.baseline, scratch, "baseline"))
    builds = [c for c in contenders if c.name != "peer"]
    results = {"machine": machine(), "worker_build": args.worker, "baseline_build": args.baseline,
               "arguments": {k: v for k, v in vars(args).items() if k not in ("worker", "baseline", "json")}}
    each = lambda measure, among=contenders: lambda: {c.name: measure(c) for c in among}
    try:
        for name, measure in [
            ("startup_ms", each(lambda c: startup(c, broker, subscriber, args.runs))),
            ("startup_default_interval_ms", each(lambda c: startup(c, broker, subscriber, max(1, args.runs // 2), "00:00:05"))),
            ("resident_mib", each(lambda c: steady_memory(c, broker, subscriber, args.memory_seconds))),
            ("cpu_seconds_10s_at_10hz", lambda: cpu_at_10hz(contenders, broker, subscriber, max(1, args.runs // 2))),
            ("drain", each(lambda c: drain(c, broker, subscriber, args.backlog, scratch))),
            ("recovery_ms", each(lambda c: recovery(c, broker, subscriber, max(1, args.runs // 2)))),
            ("idle_cpu", lambda: idle_cpu(contenders, broker, subscriber, args.idle_seconds)),
            ("per_reading", each(lambda c: per_reading(c, broker, subscriber, 10))),
            ("syncs", each(lambda c: syncs(c, broker, subscriber, args.sync_seconds, args.outage_seconds), builds)),
            ("startup_with_backlog", each(lambda c: startup_with_backlog(c, scratch, args.waiting), builds)),
            ("schedule", each(lambda c: schedule(c, broker, subscriber, args.schedule_seconds), builds)),
        ]:
            if args.only and name not in args.only:
                continue
            results[name] = measure()
            print_row(name, results[name], flush=True)
    finally:
        subscriber.close()
        broker.close()
        shutil.rmtree(scratch, ignore_errors=True)
    results["machine"]["load_after"] = load()
    results["ratios"] = ratios(results)
    with open(args.json, "w") as out:
        json.dump(results, out, indent=2, ensure_ascii=False)
    if not args.only:
        print_table(results)


def load():
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def machine():
    with open("/proc/cpuinfo") as cpuinfo:
        model = next((l.split(":", 1)[1].strip() for l in cpuinfo if l.startswith("model name")), "unknown")
    return {"cpu": model, "cores": os.cpu_count(), "kernel": os.uname().release, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_before": load()}


def headline(entry):
    for key in ("median", "messages_per_second", "cpu_seconds", "syscalls"):
        if key in entry:
            return entry[key]
    return entry["context_switches"]


RATIO_KEYS = ["startup_ms", "startup_default_interval_ms", "resident_mib", "cpu_seconds_10s_at_10hz", "idle_cpu", "drain", "recovery_ms", "per_reading"]


def ratios(results):
    """worker/peer, and with a baseline baseline/peer and worker/baseline, of each measure's headline figure."""
    out = {}
    for pair in (("worker", "peer"), ("baseline", "peer"), ("worker", "baseline")):
        for key in RATIO_KEYS:
            if key in results and all(n in results[key] for n in pair):
                # The peer idles at a few milliseconds of run time: never divide by zero.
                label = key if pair == ("worker", "peer") else f"{key}:{pair[0]}/{pair[1]}"
                out[label] = headline(results[key][pair[0]]) / max(headline(results[key][pair[1]]), 1e-6)
    return out


def print_row(name, row, flush=False):
    print(name, json.dumps(row), flush=flush)


# Issue 19's targets: (what the ratio or the worker's own figure must be, and whether it holds).
TARGETS = {
    "startup_ms": ("≤ 0.5", lambda r, w: r <= 0.5),
    "startup_default_interval_ms": ("≤ 0.5", lambda r, w: r <= 0.5),
    "resident_mib": ("≤ 0.6", lambda r, w: r <= 0.6),
    "cpu_seconds_10s_at_10hz": ("≤ 1.0", lambda r, w: r <= 1.0),
    "idle_cpu": ("≤ 1.0", lambda r, w: r <= 1.0),
    "per_reading": ("—", None),
    "drain": ("≥ 10000/s", lambda r, w: w["messages_per_second"] >= 10_000),
    "recovery_ms": ("", None),
}


def print_table(results):
    rows = [("start-up to first message, 0.1 s interval (ms)", "startup_ms"),
            ("start-up to first message, 5 s interval (ms)", "startup_default_interval_ms"),
            ("resident memory, steady (MiB)", "resident_mib"),
            ("CPU seconds (task run time) per 10 s at 10 Hz", "cpu_seconds_10s_at_10hz"),
            ("CPU seconds (task run time) at the default 5 s interval", "idle_cpu"),
            ("per reading at 10 Hz, broker acknowledging", "per_reading"),
            ("backlog drain (messages/s)", "drain"),
            ("recovery after the broker returns (ms)", "recovery_ms")]
    baseline = results.get("baseline_build")
    m = results["machine"]
    print(f"\n{m['cpu']}, {m['cores']} cores, {m['kernel']}, {m['when']}, load {m['load_before']} before, {m['load_after']} after")
    print("| measure | worker | peer | worker/peer | target |" + (" baseline | worker/baseline |" if baseline else ""))
    print("| --- | --- | --- | --- | --- |" + (" --- | --- |" if baseline else ""))
    for label, key in rows:
        if key not in results:
            continue
        w, p = results[key]["worker"], results[key]["peer"]
        target, holds = TARGETS[key]
        ratio = results["ratios"][key]
        mark = "" if holds is None else (" ✓" if holds(ratio, w) else " ✗")
        line = f"| {label} | {cell(w)} | {cell(p)} | {ratio:.2f} | {target}{mark} |"
        if baseline:
            line += f" {cell(results[key]['baseline'])} | {results['ratios'][key + ':worker/baseline']:.2f} |"
        print(line)
    print()
    for name, entry in results.get("syncs", {}).items():
        a, o = entry["acknowledged"], entry["outage"]
        print(f"Syncs, {name}: broker acknowledging {a['syncs']} in {a['readings']} readings, {a['per_reading']:.4f} per reading "
              f"(target ≤ 0.01{' ✓' if a['per_reading'] <= 0.01 else ' ✗'}) {a['by_file']}; broker away {o['syncs']} in {o['seconds']:.0f} s, "
              f"{o['per_sync_after']:.2f} per SyncAfter (target ≤ 1{' ✓' if o['per_sync_after'] <= 1 else ' ✗'}) {o['by_file']}")
    for name, b in results.get("startup_with_backlog", {}).items():
        print(f"Start-up with {b['backlog']} readings waiting, {name}: open in {b['seconds_to_open']:.2f} s, "
              f"resident {b['resident_mib']:.1f} MiB (targets < 2 s, ≤ 64 MiB)")
    for name, s in results.get("schedule", {}).items():
        print(f"Schedule, {name}, 1 s interval with 750 ms reads: p99 deviation {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms, "
              f"median {s['median_ms']:.1f} ms over {s['samples']} publishes, drift {s['drift_ms']:.1f} ms (target p99 < 20 ms)")
    for name, entry in results.get("cpu_seconds_10s_at_10hz", {}).items():
        top = list(entry["ms_per_reading_by_thread"].items())[:6]
        print(f"Run time per reading at 10 Hz by thread, {name}: " + ", ".join(f"{n} {v:.3f} ms" for n, v in top))


def cell(entry):
    if "syscalls" in entry:
        return (f"{entry['sync_calls']:.4f} syncs ({entry['syncs']} in {entry['strace_readings']}), {entry['syscalls']:.1f} calls, "
                f"{entry['file_calls']:.2f} open/rename/unlink, {entry['context_switches']:.1f} switches, {entry['write_bytes']:.0f} B written")
    if "cpu_seconds" in entry:
        return f"{entry['cpu_seconds']:.4f} over {entry['seconds']} s"
    if "median" in entry:
        return f"{entry['median']:.3g} ({entry['min']:.3g}–{entry['max']:.3g})"
    return f"{entry['messages_per_second']:.0f}"


if __name__ == "__main__":
    main()
