#!/usr/bin/env bash
# Installs LabTelemetry on a Raspberry Pi from the folder deploy/publish.sh made, for the builds the Debian package
# does not serve: the framework-dependent net8.0 one and the ReadyToRun one. The NativeAOT build goes on a Pi as the
# package (deploy/package.sh, then apt install), which takes over what this script installed. Run it again to update.
#
#   sudo ./install.sh                 install or update, enable 1-Wire, start the service
#   sudo ./install.sh --w1-pin 17     the DS18B20's data line is on GPIO17 instead of GPIO4 (set Sensor:DataPin to match)
#   sudo ./install.sh --gpio          let the service open /dev/gpiochip*, for Led:Pin or Sensor:PowerPin
#   sudo ./install.sh --uninstall     remove it all but your configuration and the undelivered readings
#   ./install.sh --root DIR           install below DIR instead of / (no systemctl; how CI tests this script)
#
# Never overwrites /etc/labtelemetry/appsettings.json or /etc/labtelemetry/env once they exist.
set -euo pipefail

root=""
pin=4
uninstall=false
gpio=false
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --w1-pin) pin=${2:?--w1-pin needs a GPIO number}; shift 2 ;;
    --uninstall) uninstall=true; shift ;;
    --gpio) gpio=true; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
done
case "$pin" in *[!0-9]*|'') echo "install.sh: --w1-pin takes a GPIO number, not '$pin'" >&2; exit 64 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
opt="$root/opt/labtelemetry"
etc="$root/etc/labtelemetry"
units="$root/etc/systemd/system"
live=false
if [ -z "$root" ]; then
  live=true
  [ "$(id -u)" -eq 0 ] || { echo "install.sh: run it as root: sudo $0 $*" >&2; exit 77; }
fi
say() { echo "install.sh: $*"; }

# With the package installed, this script's copy of the unit in /etc/systemd/system would shadow the package's.
admindir="$root/var/lib/dpkg"
if [ -e "$admindir/status" ] && command -v dpkg-query >/dev/null &&
  [ "$(dpkg-query --admindir="$admindir" -W -f='${db:Status-Status}' labtelemetry 2>/dev/null)" = installed ]; then
  echo "install.sh: the Debian package labtelemetry is installed: update it with apt (sudo apt install ./labtelemetry_*.deb), or remove it first (sudo apt remove labtelemetry)" >&2
  exit 1
fi

if $uninstall; then
  if $live && command -v systemctl >/dev/null; then
    systemctl disable --now labtelemetry.service 2>/dev/null || true
  fi
  rm -f "$units/labtelemetry.service"
  rm -rf "$units/labtelemetry.service.d"
  rm -rf "$opt"
  if $live && command -v systemctl >/dev/null; then systemctl daemon-reload; fi
  say "removed the service and $opt"
  say "kept $etc (your configuration) and /var/lib/labtelemetry (readings not yet delivered); delete them yourself if you want them gone"
  exit 0
fi

if [ ! -e "$here/LabTelemetry.Worker" ] && [ ! -e "$here/LabTelemetry.Worker.dll" ]; then
  echo "install.sh: no LabTelemetry.Worker next to this script; run it from the folder deploy/publish.sh made" >&2
  exit 66
fi

# The program: replaced whole, so an update leaves nothing of the old build behind.
install -d "$(dirname "$opt")"
rm -rf "$opt.new"
install -d "$opt.new"
cp -a "$here/." "$opt.new/"
rm -rf "$opt"
mv "$opt.new" "$opt"
say "installed the program in $opt"

# The configuration: the user's, never overwritten.
install -d -m 0755 "$etc"
if [ -e "$etc/appsettings.json" ]; then
  say "kept your $etc/appsettings.json"
else
  install -m 0644 "$here/appsettings.json" "$etc/appsettings.json"
  say "created $etc/appsettings.json"
fi
if [ ! -e "$etc/env" ]; then
  install -m 0600 /dev/null "$etc/env"
  cat > "$etc/env" <<'ENV'
# Secrets for LabTelemetry, one VARIABLE=value a line; only root can read this file.
# LABTELEMETRY_Mqtt__Username=student
# LABTELEMETRY_Mqtt__Password=...
ENV
  say "created $etc/env for secrets (mode 0600)"
fi

# The unit, pointed at /opt/labtelemetry instead of the package's /usr/lib/labtelemetry; a framework-dependent build
# has no apphost and runs through the installed dotnet.
install -d "$units"
program="/opt/labtelemetry/LabTelemetry.Worker"
[ -e "$opt/LabTelemetry.Worker" ] || program="/usr/bin/dotnet /opt/labtelemetry/LabTelemetry.Worker.dll"
sed -e "s|^ExecStart=/usr/lib/labtelemetry/LabTelemetry.Worker\$|ExecStart=$program|" \
  -e 's|/usr/lib/labtelemetry|/opt/labtelemetry|g' -e 's|/usr/share/doc/labtelemetry/README.md|/opt/labtelemetry/README.md|' \
  "$here/labtelemetry.service" > "$units/labtelemetry.service"
chmod 0644 "$units/labtelemetry.service"
say "installed $units/labtelemetry.service"
if $gpio; then
  install -D -m 0644 "$here/gpio.conf" "$units/labtelemetry.service.d/gpio.conf"
  say "installed $units/labtelemetry.service.d/gpio.conf: the service may open /dev/gpiochip*"
fi

# 1-Wire: the w1-gpio overlay in the boot configuration (Bookworm: /boot/firmware; older images: /boot).
reboot_needed=false
boot=""
for candidate in "$root/boot/firmware/config.txt" "$root/boot/config.txt"; do
  if [ -e "$candidate" ]; then boot=$candidate; break; fi
done
overlay="dtoverlay=w1-gpio"
[ "$pin" = 4 ] || overlay="dtoverlay=w1-gpio,gpiopin=$pin"
if [ -z "$boot" ]; then
  say "no boot config.txt found: add '$overlay' to it yourself to enable 1-Wire"
elif grep -Eq '^[[:space:]]*dtoverlay=w1-gpio([,[:space:]]|$)' "$boot"; then
  say "1-Wire is already enabled in $boot"
else
  printf '\n# DS18B20 thermometer for LabTelemetry\n%s\n' "$overlay" >> "$boot"
  reboot_needed=true
  say "enabled 1-Wire in $boot ($overlay)"
fi

configured=true
grep -Eq '"Group"[[:space:]]*:[[:space:]]*""' "$etc/appsettings.json" && configured=false
if $live && command -v systemctl >/dev/null; then
  systemctl daemon-reload
  systemctl enable labtelemetry.service >/dev/null
  if $configured && ! $reboot_needed; then
    systemctl restart labtelemetry.service
    say "started; watch it with: journalctl -u labtelemetry -f"
  fi
fi
$configured || say "next: write your group and names into $etc/appsettings.json (Telemetry:Group, Telemetry:Students), then: sudo systemctl restart labtelemetry"
if $reboot_needed; then
  say "reboot to load the 1-Wire driver (sudo reboot); the service starts by itself afterwards"
fi
exit 0
