#!/usr/bin/env bash
# Builds what goes on the Pi: one folder holding the worker, appsettings.json, the systemd unit, install.sh,
# the NetworkManager provisioning and README.md. deploy/package.sh makes the Debian package of the NativeAOT build;
# the other builds go on the Pi as the folder, installed by `sudo ./install.sh` in it.
#
#   deploy/publish.sh                        NativeAOT, net10.0, linux-arm64 (64-bit Raspberry Pi OS); cross-compiled
#                                            here with clang and Debian's arm64 libraries (.ci/run installs them)
#   deploy/publish.sh --rid linux-x64        the same build for this machine (the benchmark and CI use it)
#   deploy/publish.sh --ready-to-run         self-contained, trimmed and ReadyToRun instead of NativeAOT (needs no clang)
#   deploy/publish.sh --framework-dependent  portable net8.0 build for a Pi with the .NET 8 runtime installed
#   deploy/publish.sh --out DIR              where to put it (default: publish/<rid>, or publish/net8.0)
#   deploy/publish.sh --version V            another version than Directory.Build.props's (deploy/package.sh passes it)
set -euo pipefail

rid=linux-arm64
out=""
framework_dependent=false
ready_to_run=false
version=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rid) rid=${2:?--rid needs a runtime identifier, e.g. linux-arm64}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --framework-dependent) framework_dependent=true; shift ;;
    --ready-to-run) ready_to_run=true; shift ;;
    --version) version=("-p:Version=${2:?--version needs a version}"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "publish.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
project="$repo/src/LabTelemetry.Worker/LabTelemetry.Worker.csproj"
if $framework_dependent; then
  out=${out:-$repo/publish/net8.0}
  # Portable (no runtime identifier, no apphost): runs as `dotnet LabTelemetry.Worker.dll` on any .NET 8 runtime.
  dotnet publish "$project" -c Release -f net8.0 -p:TargetFrameworks=net8.0 -p:UseAppHost=false "${version[@]}" -o "$out" -nologo -v quiet
elif $ready_to_run; then
  out=${out:-$repo/publish/$rid}
  # Trimmed with ReadyToRun: trimming alone starts slower than untrimmed, the pair starts faster and is half the size.
  dotnet publish "$project" -c Release -f net10.0 -p:TargetFrameworks=net10.0 -r "$rid" --self-contained \
    -p:PublishTrimmed=true -p:PublishReadyToRun=true -p:CopyOutputSymbolsToPublishDirectory=false "${version[@]}" -o "$out" -nologo -v quiet
else
  out=${out:-$repo/publish/$rid}
  # NativeAOT: one native executable, no JIT at start-up: the fastest start and the least memory on a Pi Zero 2 W.
  # Its debugging symbols stay out of the folder that goes to the Pi.
  dotnet publish "$project" -c Release -f net10.0 -p:TargetFrameworks=net10.0 -r "$rid" \
    -p:PublishAot=true -p:CopyOutputSymbolsToPublishDirectory=false "${version[@]}" -o "$out" -nologo -v quiet
  rm -f "$out"/*.dbg "$out"/*.pdb
fi

install -m 0755 "$repo/deploy/install.sh" "$out/install.sh"
install -m 0644 "$repo/deploy/systemd/labtelemetry.service" "$out/labtelemetry.service"
install -m 0644 "$repo/deploy/systemd/gpio.conf" "$out/gpio.conf"
install -d "$out/networkmanager"
install -m 0755 "$repo/deploy/networkmanager/wifi-provision.sh" "$out/networkmanager/wifi-provision.sh"
install -m 0644 "$repo/deploy/networkmanager/lab-wifi.nmconnection" "$out/networkmanager/lab-wifi.nmconnection"
install -m 0644 "$repo/README.md" "$out/README.md"
if $framework_dependent || $ready_to_run; then
  echo "publish.sh: $out ($(du -sh "$out" | cut -f1)); on the Pi, in that folder: sudo ./install.sh"
else
  echo "publish.sh: $out ($(du -sh "$out" | cut -f1))"
fi
