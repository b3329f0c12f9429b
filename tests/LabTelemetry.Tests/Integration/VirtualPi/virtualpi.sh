#!/usr/bin/env bash
# A virtual Raspberry Pi: Debian bookworm with systemd and NetworkManager on Debian's own kernel under qemu, whose only
# way out is Wi-Fi: two simulated radios (mac80211_hwsim), the station wlan0 and an access point in a network
# namespace of its own, which alone holds the wired NIC: qemu's user network, restricted to one address, 10.0.2.100:1883,
# behind which is the test's broker on this machine's loopback.
#
#   virtualpi.sh image                  print the cached image, kernel and initrd (one a line), building them first when
#                                       missing (debootstrap, a kernel, mkfs: 1-2 min)
#   virtualpi.sh boot DIR --broker-port PORT [--build BUILD] [--fake-w1] [--ap-down] [--timeout SECONDS] [--owner PID]
#                                       boot; DIR keeps the disk (a throwaway overlay on the image), console.log and the
#                                       sockets. A DIR booted before boots its own disk again: after `kill`, a power cut.
#                                       BUILD (the folder deploy/publish.sh made) is shared read-only at /mnt/build;
#                                       --fake-w1 gives a 1-Wire bus with one DS18B20 reading 23.125 °C; --ap-down
#                                       leaves the access point off (systemctl start virtualpi-ap puts it on); the VM
#                                       is killed when process PID (the test run) has gone
#   virtualpi.sh install DIR            install BUILD inside as users do
#   virtualpi.sh exec DIR CMD...        run CMD as root inside: its output as it comes, its exit status (255: the
#                                       harness failed). No standard input.
#   virtualpi.sh stop DIR               power it off cleanly and wait until qemu has exited (1: it had to be killed)
#   virtualpi.sh kill DIR               SIGKILL qemu: a power cut as the guest sees it (what it synced is on the disk)
#
# Inside: the units virtualpi-ap (hostapd) and virtualpi-dhcp (dnsmasq) are the access point and its DHCP; the
# journal goes to the console. Needs root, qemu-system-x86_64, qemu-img and socat; to build the image, debootstrap.
# KVM is never used: this machine is itself a VM without nested virtualisation, where -accel kvm hangs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
suite=bookworm
include=systemd,systemd-sysv,dbus,udev,kmod,iproute2,procps
packages=(linux-image-amd64 network-manager wpasupplicant hostapd iw dnsmasq-base nftables wireless-regdb socat
  mosquitto-clients)
cache=${LABTELEMETRY_CONTAINER_CACHE:-/var/cache/labtelemetry-ci}
# Ports for the test's agent: as many commands can run inside at once (a monitor, a subscriber and a command, say).
ports=4
# Where the guest finds the host's broker (qemu's user network forwards it).
broker_address=10.0.2.100

die() { echo "virtualpi.sh: $*" >&2; exit 1; }

# The cache key covers all that goes into the image: the packages, the mirror, the two functions that build it and
# every file they install. Changing anything else here (how it boots, say) reuses the image.
image_dir() {
  local mirror=$1 key
  key=$({
    printf '%s\n' "$suite" "$include" "${packages[*]}" "$mirror"
    declare -f build_root build_image
    for file in "$here"/guest/*; do
      echo "${file##*/}"
      cat "$file"
    done
  } | sha256sum | cut -c1-12)
  echo "$cache/virtualpi-$suite-$key"
}

build_root() {
  local root=$1 mirror=$2
  debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror"
  # apt inside as on this machine (its sources, a proxy if it has one), put back afterwards; no service starts in
  # the chroot (policy-rc.d).
  mv "$root/etc/apt" "$root/etc/apt.virtualpi"
  cp -a /etc/apt "$root/etc/apt"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf.virtualpi"
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  cp -a "$here/guest" "$root/tmp/virtualpi-guest"
  # The mounts the chroot needs live in a mount namespace of their own, and go with it whatever happens.
  unshare --mount --propagation private /bin/sh -euc '
    root=$1
    shift
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    mount --bind "$root/etc/resolv.conf.virtualpi" "$root/etc/resolv.conf" 2>/dev/null ||
      cp "$root/etc/resolv.conf.virtualpi" "$root/etc/resolv.conf"
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
      /bin/sh -euc "
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends initramfs-tools zstd
        # The initrd holds only what mounts the root (virtio disk, ext4): every megabyte more is boot time under TCG.
        printf \"virtio_pci\nvirtio_blk\next4\n\" >> /etc/initramfs-tools/modules
        printf \"MODULES=list\nCOMPRESS=zstd\n\" > /etc/initramfs-tools/conf.d/virtualpi.conf
        apt-get install -y -qq --no-install-recommends \$*
        /tmp/virtualpi-guest/setup.sh
        apt-get clean
      " sh "$@"
  ' sh "$root" "${packages[@]}"
  rm -rf "$root/etc/apt" "$root/tmp/virtualpi-guest" "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf.virtualpi" \
    "$root"/var/lib/apt/lists/*
  mv "$root/etc/apt.virtualpi" "$root/etc/apt"
  # Nothing inside resolves names: the broker is an address.
  rm -f "$root/etc/resolv.conf"
  : > "$root/etc/resolv.conf"
}

# The root becomes an ext4 image (no partition table: the guest's /dev/vda is the file system), and the kernel and
# initrd qemu boots come out of it.
build_image() {
  local building=$1
  cp "$building"/root/boot/vmlinuz-* "$building/vmlinuz"
  cp "$building"/root/boot/initrd.img-* "$building/initrd.img"
  truncate -s 2G "$building/rootfs.ext4"
  mkfs.ext4 -q -F -L virtualpi -d "$building/root" "$building/rootfs.ext4"
  rm -rf "$building/root"
}

make_image() {
  local mirror images building lock started
  mirror=$("$here/../Debian/apt-mirror.sh")
  images=$(image_dir "$mirror")
  if [ ! -e "$images/.complete" ]; then
    command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
    command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 is missing (apt-get install e2fsprogs)"
    install -d "$cache"
    # One build at a time; whoever waited finds the image made.
    exec {lock}>"$cache/virtualpi.lock"
    flock "$lock"
    if [ ! -e "$images/.complete" ]; then
      # Built aside and renamed into place, so an interrupted build is never taken for an image; the leftovers of
      # one (untouched for a day) go.
      find "$cache" -mindepth 1 -maxdepth 1 -name 'building.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
      building=$(mktemp -d "$cache/building.XXXXXX")
      started=$(date +%s)
      echo "virtualpi.sh: building the image in $building (once; a minute or two)" >&2
      if ! (build_root "$building/root" "$mirror" && build_image "$building") >"$building.log" 2>&1; then
        tail -30 "$building.log" >&2
        rm -rf "$building" "$building.log"
        die "building the image failed"
      fi
      rm -f "$building.log"
      touch "$building/.complete"
      rm -rf "$images"
      mv -T "$building" "$images"
      echo "virtualpi.sh: image built in $(($(date +%s) - started)) s: $images" >&2
    fi
    exec {lock}>&-
  fi
  # Each use marks the image; those of other keys unused for a week go (a running VM keeps its open backing file).
  touch "$images/.complete"
  find "$cache" -mindepth 2 -maxdepth 2 -path "$cache/virtualpi-$suite-*/.complete" -mtime +7 -printf '%h\n' 2>/dev/null |
    while IFS= read -r old; do [ "$old" = "$images" ] || rm -rf "$old"; done
  printf '%s\n' "$images/rootfs.ext4" "$images/vmlinuz" "$images/initrd.img"
}

# qemu's PID for DIR, only while that qemu runs: a zombie or a PID reused by another program is no VM.
qemu_pid() {
  local dir=$1 pid state
  pid=$(cat "$dir/qemu.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$pid" -gt 1 ] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/disk.qcow2" || return 1
  echo "$pid"
}

start_qemu() {
  local dir=$1 images=$2 port=$3 build=$4 fake_w1=$5 ap=$6 cmdline n
  local -a args
  # The PC's own devices (floppy, IDE, speaker, mouse) and KVM are of no use here, and under emulation their modules
  # took seconds of the boot, loaded while the radios' were.
  cmdline="root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet"
  cmdline+=" module_blacklist=floppy,pcspkr,ata_piix,ata_generic,i2c_piix4,serio_raw,psmouse,evdev,kvm_amd,kvm_intel,kvm,ccp"
  [ "$ap" = down ] || cmdline+=" systemd.wants=virtualpi-ap.service"
  [ -z "$build" ] || cmdline+=" virtualpi.build"
  ! $fake_w1 || cmdline+=" virtualpi.fake_w1"
  # restrict=on: the guest reaches nothing but what guestfwd names. The cmd: form opens a new connection to the
  # broker for each one the guest opens (the tcp: form opens one at start, and the first MQTT disconnect ends it).
  args=(-accel tcg,thread=multi -m 1024 -smp 2 -nodefaults -no-user-config -display none -vga none
    -kernel "$images/vmlinuz" -initrd "$images/initrd.img" -append "$cmdline"
    -drive "file=$dir/disk.qcow2,if=virtio,format=qcow2"
    -netdev "user,id=uplink,restrict=on,guestfwd=tcp:$broker_address:1883-cmd:socat - TCP:127.0.0.1:$port"
    -device virtio-net-pci,netdev=uplink
    -object rng-random,id=rng,filename=/dev/urandom -device virtio-rng-pci,rng=rng
    -chardev "file,id=console,path=$dir/console.log,append=on" -serial chardev:console
    -qmp "unix:$dir/qmp.sock,server=on,wait=off"
    -device virtio-serial-pci,id=ports)
  for n in $(seq 0 $((ports - 1))); do
    rm -f "$dir/agent.$n.sock"
    args+=(-chardev "socket,id=agent$n,path=$dir/agent.$n.sock,server=on,wait=off"
      -device "virtserialport,bus=ports.0,chardev=agent$n,name=virtualpi.agent.$n")
  done
  [ -z "$build" ] || args+=(-virtfs "local,path=$build,mount_tag=build,security_model=none,readonly=on")
  rm -f "$dir/qmp.sock"
  setsid qemu-system-x86_64 "${args[@]}" </dev/null >>"$dir/qemu.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/qemu.pid"
  # Its end (a kill when the boot is retried, say) is ours to report, not bash's.
  disown
  # Until the child has exec'ed qemu, its command line is still ours and qemu_pid would take it for a qemu gone.
  for ((n = 0; n < 100; n++)); do
    qemu_pid "$dir" >/dev/null || [ ! -e "/proc/$pid" ] || { sleep 0.05; continue; }
    break
  done
}

# Waits for the line virtualpi-booted.service writes after multi-user.target, looking only past byte FROM of the
# console (it keeps every boot of DIR). 0: reached; 1: not in time; 2: qemu exited.
wait_booted() {
  local dir=$1 from=$2 limit=$3 i
  for ((i = 0; i < limit * 4; i++)); do
    qemu_pid "$dir" >/dev/null || return 2
    if tail -c +"$((from + 1))" "$dir/console.log" 2>/dev/null | grep -q 'virtualpi: multi-user.target reached'; then
      return 0
    fi
    sleep 0.25
  done
  return 1
}

boot() {
  local dir=$1
  shift
  local port="" build="" fake_w1=false ap=up limit=180 owner="" fresh=false from started attempt result
  while [ $# -gt 0 ]; do
    case "$1" in
      --broker-port) port=${2:?--broker-port needs a port}; shift 2 ;;
      --build) build=${2:?--build needs a folder}; shift 2 ;;
      --fake-w1) fake_w1=true; shift ;;
      --ap-down) ap=down; shift ;;
      --timeout) limit=${2:?--timeout needs seconds}; shift 2 ;;
      --owner) owner=${2:?--owner needs a PID}; shift 2 ;;
      *) die "boot: unknown argument '$1'" ;;
    esac
  done
  case "$port" in *[!0-9]*|'') die "boot: --broker-port takes the port of the broker on 127.0.0.1" ;; esac
  if [ -n "$build" ]; then
    [ -d "$build" ] || die "no build folder $build"
    build=$(cd "$build" && pwd)
  fi
  ! qemu_pid "$dir" >/dev/null || die "$dir is running already"
  local images
  images=$(dirname "$(make_image | head -n 1)")
  if [ ! -e "$dir/disk.qcow2" ]; then
    qemu-img create -q -f qcow2 -F raw -b "$images/rootfs.ext4" "$dir/disk.qcow2"
    fresh=true
  fi
  # Whatever fails from here on, no half-booted VM is left behind (the trap runs after boot's locals are gone).
  trap "kill_vm $(printf %q "$dir")" EXIT
  for attempt in 1 2; do
    from=$(stat -c %s "$dir/console.log" 2>/dev/null || echo 0)
    started=$(date +%s.%N)
    start_qemu "$dir" "$images" "$port" "$build" "$fake_w1" "$ap"
    result=0
    wait_booted "$dir" "$from" "$limit" || result=$?
    [ "$result" -ne 0 ] || break
    if [ "$result" -eq 2 ]; then
      tail -c +"$((from + 1))" "$dir/console.log" | tail -20 >&2
      tail -5 "$dir/qemu.log" >&2
      die "qemu exited while booting $dir"
    fi
    kill_vm "$dir"
    if [ "$attempt" -eq 2 ]; then
      tail -c +"$((from + 1))" "$dir/console.log" | tail -30 >&2
      die "$dir did not reach multi-user.target within $limit s, twice"
    fi
    # Said, not hidden: a slow boot is retried once; a scenario's failure never is.
    echo "virtualpi.sh: $dir did not reach multi-user.target within $limit s; retrying once. Its console's last lines:" >&2
    tail -c +"$((from + 1))" "$dir/console.log" | tail -10 >&2
    if $fresh; then
      rm -f "$dir/disk.qcow2"
      qemu-img create -q -f qcow2 -F raw -b "$images/rootfs.ext4" "$dir/disk.qcow2"
    fi
  done
  echo "virtualpi.sh: multi-user.target reached $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s after qemu started"
  # The agents start before the rest of the boot; this proves one answers, and that the harness's own units worked.
  local failed
  failed=$(timeout 30 "$0" exec "$dir" systemctl list-units --failed --no-legend --plain 'virtualpi-*' mnt-build.mount) ||
    die "the agent inside $dir did not answer within 30 s"
  if [ -n "$failed" ]; then
    timeout 30 "$0" exec "$dir" journalctl -b --no-pager -o cat -u 'virtualpi-*' -u mnt-build.mount | tail -20 >&2 || true
    die "the virtual Pi's own units failed: $failed"
  fi
  trap - EXIT
  # A test run that dies (killed at a time limit, say) leaves no VM behind: it goes with its owner. Not holding our
  # output, whose end the caller waits for.
  if [ -n "$owner" ]; then
    (
      while kill -0 "$owner" 2>/dev/null && qemu_pid "$dir" >/dev/null; do sleep 2; done
      kill_vm "$dir"
    ) </dev/null >/dev/null 2>&1 &
    disown
  fi
}

# The published build installed as README says, from the folder shared at /mnt/build. One function, so that the
# package (apt install ./labtelemetry_*_amd64.deb) can take the place of install.sh here.
install_service() {
  inside "$1" bash -euc '
    mountpoint -q /mnt/build || { echo "no build at /mnt/build: boot with --build" >&2; exit 66; }
    rm -rf /root/labtelemetry
    cp -a /mnt/build /root/labtelemetry
    cd /root/labtelemetry
    ./install.sh'
}

# The agent's lines for one command, onto our standard output and error; everything before our nonce is a former
# user's. (Not awk: mawk fills its buffer from a pipe before it hands over a line.)
replies() {
  local nonce=$1 line started=false
  while IFS= read -r line; do
    case "$line" in
      "s $nonce") started=true ;;
      "x $nonce "*) return "${line##* }" ;;
      "o "*) ! $started || printf '%s\n' "${line:2}" ;;
      "e "*) ! $started || printf '%s\n' "${line:2}" >&2 ;;
    esac
  done
  echo "virtualpi.sh: the agent went away before the command ended" >&2
  return 255
}

# Runs a command inside through a free agent port (waiting for one when all are busy), streaming its output; see guest/agent.sh
# for the protocol. The command is sent as shell-quoted words on one line and run by bash -c.
inside() {
  local dir=$1
  shift
  local n lock="" request nonce socat from to reader status=0
  qemu_pid "$dir" >/dev/null || { echo "virtualpi.sh: $dir holds no running virtual Pi" >&2; return 255; }
  # One command per port: the first free one, looked for again until one is.
  while [ -z "$lock" ]; do
    for n in $(seq 0 $((ports - 1))); do
      exec {lock}>"$dir/agent.$n.lock"
      if flock -n "$lock"; then break; fi
      exec {lock}>&-
      lock=""
    done
    [ -n "$lock" ] || sleep 0.1
  done
  request=$(printf '%q ' "$@")
  nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  coproc agent { exec socat - UNIX-CONNECT:"$dir/agent.$n.sock"; }
  socat=$agent_PID
  # Copies of the coprocess's pipes: bash closes its own in the subshell that reads.
  exec {from}<&"${agent[0]}" {to}>&"${agent[1]}"
  printf '%s %s\n' "$nonce" "$request" >&"$to"
  replies "$nonce" <&"$from" &
  reader=$!
  # Killed (a test giving up on the command), the connection closes, and the agent ends the command inside.
  trap 'kill "$socat" 2>/dev/null' TERM INT HUP
  while :; do
    status=0
    wait "$reader" 2>/dev/null || status=$?
    kill -0 "$reader" 2>/dev/null || break
  done
  trap - TERM INT HUP
  kill "$socat" 2>/dev/null || true
  wait "$socat" 2>/dev/null || true
  return "$status"
}

qmp() {
  printf '{"execute":"qmp_capabilities"}\n{"execute":"%s"}\n' "$2" |
    timeout 5 socat - UNIX-CONNECT:"$1/qmp.sock" >/dev/null 2>&1 || true
}

gone_within() {
  local dir=$1 seconds=$2 i
  for ((i = 0; i < seconds * 10; i++)); do
    qemu_pid "$dir" >/dev/null || return 0
    sleep 0.1
  done
  return 1
}

stop() {
  local dir=$1
  qemu_pid "$dir" >/dev/null || return 0
  # --no-block: the agent answers before the shutdown it asked for ends it. Without an agent, the power button.
  timeout 20 "$0" exec "$dir" systemctl poweroff --no-block >/dev/null 2>&1 || qmp "$dir" system_powerdown
  gone_within "$dir" 90 && return 0
  echo "virtualpi.sh: $dir did not power off within 90 s; killing it" >&2
  kill_vm "$dir"
  return 1
}

kill_vm() {
  local dir=$1 pid
  pid=$(qemu_pid "$dir") || return 0
  kill -KILL "$pid" 2>/dev/null || true
  gone_within "$dir" 10 || die "qemu $pid of $dir survived SIGKILL"
}

command=${1:-}
[ -n "$command" ] || die "usage: virtualpi.sh image | boot DIR --broker-port PORT [...] | install DIR | exec DIR CMD... | stop DIR | kill DIR"
shift
[ "$(id -u)" -eq 0 ] || die "needs root"
# DIR as an absolute path: it names the VM (qemu's command line holds it) and its sockets.
if [ "$command" != image ] && [ $# -ge 1 ]; then
  [ "$command" != boot ] || install -d "$1"
  [ -d "$1" ] || die "no directory $1"
  set -- "$(cd "$1" && pwd)" "${@:2}"
fi
case "$command" in
  image) [ $# -eq 0 ] || die "usage: virtualpi.sh image"; make_image ;;
  boot) [ $# -ge 1 ] || die "usage: virtualpi.sh boot DIR --broker-port PORT [--build BUILD] [--fake-w1] [--ap-down] [--timeout SECONDS] [--owner PID]"; boot "$@" ;;
  install) [ $# -eq 1 ] || die "usage: virtualpi.sh install DIR"; install_service "$1" ;;
  exec) [ $# -ge 2 ] || die "usage: virtualpi.sh exec DIR CMD..."; dir=$1; shift; inside "$dir" "$@" ;;
  stop) [ $# -eq 1 ] || die "usage: virtualpi.sh stop DIR"; stop "$1" ;;
  kill) [ $# -eq 1 ] || die "usage: virtualpi.sh kill DIR"; kill_vm "$1" ;;
  *) die "unknown command '$command'" ;;
esac
