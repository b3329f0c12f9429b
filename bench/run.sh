#!/usr/bin/env bash
# One command for the benchmark: builds the Pi build for this machine (deploy/publish.sh --rid linux-x64) and
# runs it side by side with the Python peer on a real Mosquitto. Needs mosquitto and python3-paho-mqtt (Debian).
#   bench/run.sh [--runs N] [--idle-seconds N] [--sync-seconds N] [--outage-seconds N] [--baseline DIR] …   figures in bench/results.json
#   --baseline DIR: another worker build (an older commit's deploy/publish.sh --rid linux-x64) measured in the same run
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# CI has just built it and names it; otherwise build it now.
out=${LABTELEMETRY_PUBLISHED_BUILD:-}
if [ -z "$out" ]; then
  out="$here/out/worker"
  "$here/../deploy/publish.sh" --rid linux-x64 --out "$out" >/dev/null
fi
exec /usr/bin/python3 "$here/run.py" --worker "$out" "$@"
