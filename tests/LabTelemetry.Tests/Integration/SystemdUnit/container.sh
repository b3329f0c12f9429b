#!/usr/bin/env bash
# A Debian bookworm container booting a real systemd, for the tests that drive the installed service under it.
#
#   container.sh root                  print the cached root, building it first when missing (debootstrap, 1-2 min)
#   container.sh boot DIR BUILD        boot a throwaway copy of the root (--volatile=overlay), BUILD bound read-only
#                                      at /mnt/build, a Pi-like wlan0 and a fake 1-Wire bus inside; DIR keeps its state
#   container.sh exec DIR CMD...       run CMD as root inside (all its namespaces)
#   container.sh stop DIR              power it off and wait until nspawn has exited
#
# Needs root, systemd-nspawn (systemd-container) and, to build the root, debootstrap. Facts of the CI machine this copes with: PID 1 is
# not systemd and there is no system bus (--register=no --keep-unit), and /run is not a tmpfs, on which nspawn
# cannot set up its propagation directory (a private mount namespace with a tmpfs there).
set -euo pipefail

# What the root holds beyond minbase; libgpiod2 because the package depends on it and apt inside has no network.
include=systemd,systemd-sysv,dbus,mosquitto,mosquitto-clients,iproute2,procps,libgpiod2
suite=bookworm
mirror=$("$(dirname "$0")/../Debian/apt-mirror.sh")
cache=${LABTELEMETRY_CONTAINER_CACHE:-/var/cache/labtelemetry-ci}
# What the worker sees: the MAC of a Raspberry Pi's wlan0, and one DS18B20 reading 23.125 °C.
mac=b8:27:eb:12:34:56
thermometer=28-00000a1b2c3d

die() { echo "container.sh: $*" >&2; exit 1; }

root_dir() {
  local key
  key=$(printf '%s %s minbase %s' "$suite" "$include" "$mirror" | sha256sum | cut -c1-12)
  echo "$cache/$suite-$key"
}

make_root() {
  local root building
  root=$(root_dir)
  if [ ! -e "$root/.complete" ]; then
    command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
    install -d "$cache"
    # Built aside and renamed into place, so an interrupted build is never taken for a root; the leftovers of one
    # (untouched for a day, so not a build under way) go.
    find "$cache" -mindepth 1 -maxdepth 1 -name 'building.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
    building=$(mktemp -d "$cache/building.XXXXXX")
    echo "container.sh: debootstrap $suite into $building (once; a minute or two)" >&2
    if ! debootstrap --variant=minbase --include="$include" "$suite" "$building" "$mirror" >"$building.log" 2>&1; then
      tail -20 "$building.log" >&2
      rm -rf "$building" "$building.log"
      die "debootstrap failed"
    fi
    rm -f "$building.log"
    # No getty on the console: nothing reads it, and its restarts only clutter the journal.
    rm -f "$building/etc/systemd/system/getty.target.wants/"*
    touch "$building/.complete"
    rm -rf "$root"
    mv -T "$building" "$root"
  fi
  echo "$root"
}

# The container's PID 1 as seen from here: the child of nspawn that lives in another PID namespace (while nspawn
# sets up, a short-lived helper child shares nspawn's own).
leader_of() {
  local nspawn=$1 own pid ns
  own=$(readlink "/proc/$nspawn/ns/pid" 2>/dev/null) || return 1
  for pid in $(ps -o pid= --ppid "$nspawn" 2>/dev/null || true); do
    ns=$(readlink "/proc/$pid/ns/pid" 2>/dev/null || true)
    if [ -n "$ns" ] && [ "$ns" != "$own" ]; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

alive() { [ -n "${1:-}" ] && [ "$1" -gt 1 ] && kill -0 "$1" 2>/dev/null; }

# Commands run inside with a clean environment, as a person logged in there would have.
enter() {
  local leader=$1
  shift
  nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER= "$@"
}

descendants() {
  local pid
  for pid in $(ps -o pid= --ppid "$1" 2>/dev/null || true); do
    echo "$pid"
    descendants "$pid"
  done
}

# nsenter waits for its command from out here. A command it has not reaped when the container powers off is a
# zombie that systemd-shutdown cannot reap, and the poweroff waits for it (nsenter even stops itself whenever its
# command is stopped, as systemd-shutdown does to all before SIGTERM). So a command is ended from inside, with all
# it started: on SIGTERM to `exec`, and by `stop` for those still running, whose nsenter each is noted in DIR/exec.
end_command() {
  local pid
  for pid in $(descendants "$1"); do
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
}

inside() {
  local dir=$1
  shift
  local leader nsenter status=0
  leader=$(cat "$dir/leader.pid" 2>/dev/null) || die "$dir holds no booted container"
  alive "$leader" || die "the container of $dir is not running"
  install -d "$dir/exec"
  # Started directly (not through a function), so that $! is nsenter itself.
  nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER= "$@" <&0 &
  nsenter=$!
  touch "$dir/exec/$nsenter"
  trap 'end_command "$nsenter"' TERM INT HUP
  # wait returns early when a trapped signal arrives; then nsenter is still there to be waited for.
  while :; do
    status=0
    wait "$nsenter" 2>/dev/null || status=$?
    alive "$nsenter" || break
  done
  trap - TERM INT HUP
  rm -f "$dir/exec/$nsenter"
  return "$status"
}

# Inside: wlan0 with a Pi's MAC (one end of a veth pair, whose other end keeps its carrier up).
add_wlan0() {
  inside "$1" sh -euc "
    ip link add wlan0 address $mac type veth peer name wlan0-peer
    ip address add 10.213.0.2/24 dev wlan0
    ip link set wlan0-peer up
    ip link set wlan0 up"
}

# Inside: the kernel's w1 sysfs as the DS18B20 driver reads it, on tmpfs over /sys/bus and /sys/devices, with the
# real /sys/devices/virtual (network interfaces) and /sys/devices/system (CPUs) bound back in. /sys is made private
# first, so these mounts stay in the container's namespace.
fake_w1() {
  inside "$1" sh -euc "
    mount --make-rprivate /sys
    install -d /run/labtelemetry-keep
    mount -t tmpfs keep /run/labtelemetry-keep
    mount --make-private /run/labtelemetry-keep
    install -d /run/labtelemetry-keep/virtual /run/labtelemetry-keep/system
    mount --rbind /sys/devices/virtual /run/labtelemetry-keep/virtual
    mount --rbind /sys/devices/system /run/labtelemetry-keep/system
    mount -t tmpfs -o mode=0755 w1 /sys/devices
    install -d /sys/devices/virtual /sys/devices/system
    mount --rbind /run/labtelemetry-keep/virtual /sys/devices/virtual
    mount --rbind /run/labtelemetry-keep/system /sys/devices/system
    umount -R /run/labtelemetry-keep
    rmdir /run/labtelemetry-keep
    mount -t tmpfs -o mode=0755 w1 /sys/bus
    install -d /sys/bus/w1/devices /sys/devices/w1_bus_master1/$thermometer
    ln -s ../../../devices/w1_bus_master1 /sys/bus/w1/devices/w1_bus_master1
    ln -s ../../../devices/w1_bus_master1/$thermometer /sys/bus/w1/devices/$thermometer
    echo $thermometer > /sys/devices/w1_bus_master1/w1_master_slaves
    printf '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n' > /sys/devices/w1_bus_master1/$thermometer/w1_slave"
}

boot() {
  local dir=$1 build=$2 root nspawn leader state="" i
  [ -d "$build" ] || die "no build folder $build"
  root=$(make_root)
  install -d "$dir"
  # nspawn is the process to wait on: it stays for the container's whole life, while its PID 1 turns into
  # systemd-shutdown at poweroff.
  setsid unshare --mount --propagation private sh -c '
    mount -t tmpfs nspawn /run/systemd/nspawn 2>/dev/null || { mkdir -p /run/systemd/nspawn && mount -t tmpfs nspawn /run/systemd/nspawn; }
    exec systemd-nspawn --quiet --directory="$1" --volatile=overlay --register=no --keep-unit --private-network \
      --machine="$2" --bind-ro="$3":/mnt/build --console=passive -b' \
    sh "$root" "labtelemetry-$(basename "$dir" | tr -cd 'a-zA-Z0-9' | cut -c1-40)" "$build" \
    </dev/null >"$dir/nspawn.log" 2>&1 &
  nspawn=$!
  echo "$nspawn" >"$dir/nspawn.pid"
  # Whatever fails from here on, no half-booted container is left behind.
  trap 'stop "$dir"' EXIT
  for i in $(seq 1 300); do
    alive "$nspawn" || { cat "$dir/nspawn.log" >&2; die "systemd-nspawn exited while booting"; }
    if leader=$(leader_of "$nspawn"); then
      state=$(enter "$leader" systemctl is-system-running 2>/dev/null || true)
      case "$state" in running|degraded) echo "$leader" >"$dir/leader.pid"; break ;; esac
    fi
    sleep 0.1
  done
  case "$state" in
    running|degraded) ;;
    *) cat "$dir/nspawn.log" >&2; die "the container did not finish booting within 30 s (state: ${state:-none})" ;;
  esac
  add_wlan0 "$dir"
  fake_w1 "$dir"
  trap - EXIT
}

stop() {
  local dir=$1 nspawn leader i pid
  nspawn=$(cat "$dir/nspawn.pid" 2>/dev/null) || return 0
  alive "$nspawn" || return 0
  for pid in $(ls "$dir/exec" 2>/dev/null); do
    if alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nsenter ]; then end_command "$pid"; fi
  done
  for i in $(seq 1 20); do
    [ -n "$(ls "$dir/exec" 2>/dev/null)" ] || break
    sleep 0.1
  done
  leader=$(leader_of "$nspawn" || true)
  # SIGRTMIN+4 asks systemd for a clean poweroff, as `systemctl poweroff` does, without needing its bus.
  if alive "$leader"; then kill -s RTMIN+4 "$leader" 2>/dev/null || true; else kill -TERM "$nspawn" 2>/dev/null || true; fi
  for i in $(seq 1 200); do
    alive "$nspawn" || return 0
    sleep 0.1
  done
  # Killing the container's PID 1 ends its whole PID namespace; killing only nspawn would leave the container running.
  echo "container.sh: $dir did not power off within 20 s; killing it" >&2
  leader=$(leader_of "$nspawn" || true)
  if alive "$leader"; then kill -KILL "$leader" 2>/dev/null || true; fi
  for i in $(seq 1 50); do
    alive "$nspawn" || return 0
    sleep 0.1
  done
  if alive "$nspawn"; then kill -KILL "$nspawn" 2>/dev/null || true; fi
}

command=${1:-}
[ -n "$command" ] || die "usage: container.sh root | boot DIR BUILD | exec DIR CMD... | stop DIR"
shift
[ "$(id -u)" -eq 0 ] || die "needs root"
case "$command" in
  root) make_root ;;
  boot) [ $# -eq 2 ] || die "usage: container.sh boot DIR BUILD"; boot "$1" "$2" ;;
  exec) [ $# -ge 2 ] || die "usage: container.sh exec DIR CMD..."; dir=$1; shift; inside "$dir" "$@" ;;
  stop) [ $# -eq 1 ] || die "usage: container.sh stop DIR"; stop "$1" ;;
  *) die "unknown command '$command'" ;;
esac
