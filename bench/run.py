#!/usr/bin/env python3
"""LabTelemetry against the Python peer a student would write, side by side in one run, on one real Mosquitto.

Measures, for each: start-up to the first message at the broker, resident memory in steady state, CPU seconds
over 10 s of publishing at 10 Hz, the drain rate of 10 000 buffered readings, and recovery after the broker
returns; for the worker also how closely publishes keep a 1 s schedule while each sensor read takes 750 ms.
Prints a table with the worker/peer ratios and writes it as JSON. Run it through bench/run.sh."""
import argparse
import json
import os
import shutil
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

    def start(self, interval, broker, extra=(), wrapper=()):
        return subprocess.Popen([*wrapper, *self.command(interval, broker, *extra)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def worker(build, scratch):
    def command(interval, broker, *extra):
        # A fresh outbox each run: readings one measurement left behind must not arrive during the next.
        outbox = tempfile.mkdtemp(prefix="outbox-", dir=scratch)
        return [os.path.join(build, "LabTelemetry.Worker"), f"--Mqtt:Host=127.0.0.1", f"--Mqtt:Port={broker.port}",
                "--Sensor:Kind=Simulated", f"--Telemetry:Group={GROUP}", f"--Telemetry:Students:0={STUDENT}",
                "--Device:Id=bench-worker", f"--Telemetry:Interval={interval}", f"--Outbox:Directory={outbox}", *extra]
    return Contender("worker", "DATA/bench-worker", command)


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


def resident_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        line = next(l for l in status if l.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def startup(contender, broker, subscriber, runs):
    times = []
    for _ in range(runs):
        began = time.monotonic()
        process = contender.start("00:00:00.100", broker)
        first = subscriber.wait(contender.topic, 1, since=began)[0]
        times.append((first - began) * 1000)
        stop(process)
    return summary(times)


def steady_memory(contender, broker, subscriber):
    process = contender.start("00:00:01", broker)
    subscriber.wait(contender.topic, 5, since=time.monotonic())
    samples = []
    for _ in range(5):
        samples.append(resident_mib(process.pid))
        time.sleep(1)
    stop(process)
    return summary(samples)


def cpu_at_10hz(contender, broker, subscriber, runs):
    results = []
    for _ in range(runs):
        process = contender.start("00:00:00.100", broker)
        subscriber.wait(contender.topic, 20, since=time.monotonic())  # warmed up
        before, began = cpu_seconds(process.pid), time.monotonic()
        time.sleep(10)
        results.append(cpu_seconds(process.pid) - before)
        delivered = len(subscriber.times(contender.topic, began))
        stop(process)
        if delivered < 80:
            raise RuntimeError(f"{contender.name} delivered only {delivered} messages in 10 s at 10 Hz")
    return summary(results)


def write_outbox(directory, topic, count):
    """The worker's outbox format (src/LabTelemetry.Core/Outbox/OutboxRecord.cs): a backlog as an outage leaves it."""
    os.makedirs(directory, exist_ok=True)
    payload = json.dumps({"temperature": 21.5, "students": [STUDENT], "group": GROUP}, ensure_ascii=False).encode()
    topic_bytes = topic.encode()
    for sequence in range(1, count + 1):
        body = struct.pack(">IBqHi", 0x4C544F31, 1, 1_795_600_000_000 + sequence * 5000, len(topic_bytes), len(payload)) + topic_bytes + payload
        with open(os.path.join(directory, f"{sequence:019d}.msg"), "wb") as record:
            record.write(body + struct.pack(">I", zlib.crc32(body)))


def drain(contender, broker, subscriber, backlog, scratch):
    if contender.name == "worker":
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
    parser.add_argument("--json", default=os.path.join(HERE, "results.json"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--schedule-seconds", type=int, default=100)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="bench-")
    broker = Broker()
    broker.start()
    subscriber = Subscriber(broker)
    contenders = [worker(args.worker, scratch), peer()]
    results = {"machine": machine(), "worker_build": args.worker}
    try:
        for name, measure in [
            ("startup_ms", lambda c: startup(c, broker, subscriber, args.runs)),
            ("resident_mib", lambda c: steady_memory(c, broker, subscriber)),
            ("cpu_seconds_10s_at_10hz", lambda c: cpu_at_10hz(c, broker, subscriber, max(1, args.runs // 2))),
            ("drain", lambda c: drain(c, broker, subscriber, args.backlog, scratch)),
            ("recovery_ms", lambda c: recovery(c, broker, subscriber, max(1, args.runs // 2))),
        ]:
            results[name] = {c.name: measure(c) for c in contenders}
            print_row(name, results[name], flush=True)
        results["schedule_worker"] = schedule(contenders[0], broker, subscriber, args.schedule_seconds)
        print("schedule (worker, 1 s interval, 750 ms reads):", json.dumps(results["schedule_worker"]), flush=True)
    finally:
        subscriber.close()
        broker.close()
        shutil.rmtree(scratch, ignore_errors=True)
    results["ratios"] = ratios(results)
    with open(args.json, "w") as out:
        json.dump(results, out, indent=2, ensure_ascii=False)
    print_table(results)


def machine():
    with open("/proc/cpuinfo") as cpuinfo:
        model = next((l.split(":", 1)[1].strip() for l in cpuinfo if l.startswith("model name")), "unknown")
    return {"cpu": model, "cores": os.cpu_count(), "kernel": os.uname().release, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def headline(entry):
    return entry["median"] if "median" in entry else entry["messages_per_second"]


def ratios(results):
    keys = ["startup_ms", "resident_mib", "cpu_seconds_10s_at_10hz", "drain", "recovery_ms"]
    return {k: headline(results[k]["worker"]) / max(headline(results[k]["peer"]), 1e-9) for k in keys}


def print_row(name, row, flush=False):
    print(name, json.dumps(row), flush=flush)


def print_table(results):
    rows = [("start-up to first message (ms)", "startup_ms", "≤ 1.0"), ("resident memory, steady (MiB)", "resident_mib", "≤ 1.0"),
            ("CPU seconds, 10 s at 10 Hz", "cpu_seconds_10s_at_10hz", "≤ 0.5"), ("backlog drain (messages/s)", "drain", "worker ≥ 5000/s"),
            ("recovery after the broker returns (ms)", "recovery_ms", "")]
    print()
    print("| measure | worker | peer | worker/peer | target |")
    print("| --- | --- | --- | --- | --- |")
    for label, key, target in rows:
        w, p = results[key]["worker"], results[key]["peer"]
        print(f"| {label} | {cell(w)} | {cell(p)} | {results['ratios'][key]:.2f} | {target} |")
    s = results["schedule_worker"]
    print(f"\nSchedule, worker, 1 s interval with 750 ms reads: p99 deviation {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms, "
          f"median {s['median_ms']:.1f} ms over {s['samples']} publishes, drift {s['drift_ms']:.1f} ms (target p99 < 20 ms)")


def cell(entry):
    if "median" in entry:
        return f"{entry['median']:.3g} ({entry['min']:.3g}–{entry['max']:.3g})"
    return f"{entry['messages_per_second']:.0f}"


if __name__ == "__main__":
    main()
