#!/usr/bin/env python3
"""The peer: what a student would write instead of LabTelemetry, with CPython and paho-mqtt (Debian's
python3-paho-mqtt). The same job: the lab's payload on the same topic every interval at QoS 1, a listener on
RESULT/#, a persistent session and paho's own reconnect and in-memory queue. A simulated temperature, like
the worker's Simulated sensor."""
import argparse
import json
import math
import random
import sys
import time

import paho.mqtt.client as mqtt


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--group", required=True)
    parser.add_argument("--student", action="append", required=True)
    parser.add_argument("--backlog", type=int, default=0, help="readings queued before the first connect")
    args = parser.parse_args()

    client = mqtt.Client(client_id="peer-" + args.topic.replace("/", "-"), clean_session=False)
    client.max_queued_messages_set(0)  # unbounded, as the worker's outbox is (nearly)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    client.on_connect = lambda c, userdata, flags, rc: c.subscribe("RESULT/#", qos=1)
    client.on_message = lambda c, userdata, message: print(
        "RESULT", message.topic, message.payload.decode("utf-8", "replace"), flush=True)

    start = time.monotonic()

    def payload():
        celsius = 21.5 + 1.5 * math.sin((time.monotonic() - start) / 600 * 2 * math.pi) + (random.random() - 0.5) * 0.1
        return json.dumps({"temperature": round(celsius, 1), "students": args.student, "group": args.group},
                          ensure_ascii=False).encode("utf-8")

    for _ in range(args.backlog):
        client.publish(args.topic, payload(), qos=1)  # queued by paho until connected

    client.connect_async(args.host, args.port, keepalive=30)
    client.loop_start()
    # As the lab's script does: publish at once, then every interval.
    next_tick = time.monotonic()
    try:
        while True:
            time.sleep(max(0.0, next_tick - time.monotonic()))
            next_tick += args.interval
            client.publish(args.topic, payload(), qos=1)
    except KeyboardInterrupt:
        pass
    finally:
        client.loop_stop()
        client.disconnect()


if __name__ == "__main__":
    sys.exit(main())
