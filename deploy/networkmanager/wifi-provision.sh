#!/usr/bin/env bash
# Adds (or replaces) a Wi-Fi connection in NetworkManager for the Pi: the card's own MAC (so that the topic
# DATA/<mac> is the same on the air), never giving up on the network, and the passphrase never on a command line
# (where `ps` shows it to everyone). The radio is NetworkManager's; LabTelemetry only waits for the network.
#
#   sudo ./wifi-provision.sh --ssid LabWiFi --country RU            asks for the passphrase (or reads it from stdin)
#   sudo ./wifi-provision.sh --ssid Hidden --psk-file /root/psk --hidden --priority 10
#   ./wifi-provision.sh --ssid LabWiFi --psk-file psk --dry-run     print what it would write and run instead
#
# Options: --ssid NAME (required), --psk-file FILE (its first line) | the passphrase on stdin | --open, --country XX
# (the WLAN country, ISO 3166: sets the regulatory domain now and at every boot, and unblocks the radio), --hidden,
# --priority N (higher wins, default 10), --name CONNECTION (default: the SSID), --ifname IFACE (default wlan0),
# --no-autoconnect, --dry-run. Exit 0 once connected; else NetworkManager's exit code, with its reason.
set -euo pipefail

ssid="" psk="" psk_given=false open=false hidden=false priority=10 name="" ifname=wlan0 autoconnect=true dry_run=false
country=""
usage() { echo "wifi-provision.sh: $*" >&2; exit 64; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ssid) ssid=${2:?--ssid needs a name}; shift 2 ;;
    --psk) usage "--psk would put the passphrase on the command line, where ps shows it to every user: pipe it in (printf '%s\n' 'passphrase' | sudo $0 --ssid …) or use --psk-file FILE" ;;
    --psk-file) psk=$(head -n 1 -- "${2:?--psk-file needs a file}") || usage "cannot read $2"; psk_given=true; shift 2 ;;
    --open) open=true; shift ;;
    --country) country=${2:?--country needs a two-letter code}; shift 2 ;;
    --hidden) hidden=true; shift ;;
    --priority) priority=${2:?--priority needs a number}; shift 2 ;;
    --name) name=${2:?--name needs a connection name}; shift 2 ;;
    --ifname) ifname=${2:?--ifname needs an interface}; shift 2 ;;
    --no-autoconnect) autoconnect=false; shift ;;
    --dry-run) dry_run=true; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$ssid" ] || usage "--ssid is required"
case "$priority" in *[!0-9-]*|'') usage "--priority takes a number" ;; esac
country=${country^^}
case "$country" in ''|[A-Z][A-Z]) ;; *) usage "--country takes a two-letter country code (RU, DE, GB)" ;; esac
if ! $open && ! $psk_given; then
  if [ -t 0 ]; then
    IFS= read -rs -p "Passphrase of $ssid: " psk || true
    echo >&2
  else
    IFS= read -r psk || true
  fi
fi
if ! $open && { [ ${#psk} -lt 8 ] || [ ${#psk} -gt 63 ]; }; then
  usage "a WPA passphrase has 8 to 63 characters (on stdin or in --psk-file; or use --open)"
fi
name=${name:-$ssid}
keyfile=/etc/NetworkManager/system-connections/${name//\//_}.nmconnection

run() {
  if $dry_run; then
    printf '%q ' "$@" | sed 's/ $//'; echo
  else
    "$@"
  fi
}

# A value as NetworkManager's keyfile reads it (GLib's key file escapes).
escape() {
  local value=${1//\\/\\\\}
  [ "${value:0:1}" != " " ] || value="\\s${value:1}"
  printf '%s' "$value"
}

# The WLAN country: Raspberry Pi OS keeps the radio blocked (rfkill) until one is set. raspi-config does it its own
# way where it exists (the kernel command line); elsewhere the cfg80211 module's option, read at every boot.
if [ -n "$country" ]; then
  if command -v raspi-config >/dev/null; then
    run raspi-config nonint do_wifi_country "$country"
  else
    run iw reg set "$country"
    if $dry_run; then
      echo "options cfg80211 ieee80211_regdom=$country > /etc/modprobe.d/labtelemetry-wifi-country.conf"
    else
      echo "options cfg80211 ieee80211_regdom=$country" > /etc/modprobe.d/labtelemetry-wifi-country.conf
    fi
  fi
  if command -v rfkill >/dev/null; then
    run rfkill unblock wifi
  else
    for radio in /sys/class/rfkill/rfkill*; do
      [ "$(cat "$radio/type" 2>/dev/null)" = wlan ] || continue
      if $dry_run; then echo "0 > $radio/soft"; else echo 0 > "$radio/soft"; fi
    done
  fi
  run nmcli radio wifi on
fi

# cloned-mac-address=permanent: the card's own MAC, never a random one, so the topic is the same on the air.
# autoconnect-retries=0: never blocked, however often the network fails (NetworkManager's default gives up after 4
# tries for 5 minutes, which strands a Pi whose access point answers while its DHCP does not).
connection() {
  cat <<KEYFILE
[connection]
id=$(escape "$name")
type=wifi
interface-name=$ifname
autoconnect=$autoconnect
autoconnect-priority=$priority
autoconnect-retries=0

[wifi]
mode=infrastructure
ssid=$(escape "$ssid")
hidden=$hidden
cloned-mac-address=permanent
KEYFILE
  # An open network has no security section at all.
  $open || printf '\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=%s\n' "$(escape "$1")"
  printf '\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\n'
}

if $dry_run; then
  echo "$keyfile (0600):"
  connection '<the passphrase>' | sed 's/^/  /'
else
  # One connection of that name: whatever made it before (nmcli, the Imager's preconfigured one) is replaced.
  if nmcli -t -f NAME connection show | grep -Fxq -- "$name"; then
    nmcli connection delete id "$name" >/dev/null
  fi
  # Written by the shell itself (printf is a builtin), so the passphrase reaches no process's arguments.
  (umask 077 && connection "$psk" > "$keyfile.tmp" && mv -f "$keyfile.tmp" "$keyfile")
fi
run nmcli connection load "$keyfile"

$dry_run && { run nmcli connection up id "$name"; exit 0; }
since=$(date '+%Y-%m-%d %H:%M:%S')
status=0
nmcli connection up id "$name" || status=$?
[ "$status" -ne 0 ] || exit 0

# nmcli's own words are vague ("Secrets were required, but not provided"); the journal has the device's reason, and
# wpa_supplicant's when the access point refused the key. GENERAL.REASON is reset by the time nmcli returns.
reason="" supplicant=""
if command -v journalctl >/dev/null; then
  log=$(journalctl --since="$since" -q -o cat -u NetworkManager -u wpa_supplicant 2>/dev/null || true)
  reason=$(printf '%s\n' "$log" | grep -F "device ($ifname): state change:" | grep -o -e "-> failed (reason '[^']*'" |
    tail -n 1 | sed "s/.*reason '//; s/'$//") || true
  supplicant=$(printf '%s\n' "$log" | grep -o 'reason=WRONG_KEY' | tail -n 1 | sed 's/reason=//') || true
fi
case "$reason" in
  no-secrets) hint="the access point did not take the passphrase${supplicant:+ (wpa_supplicant: $supplicant)}: check it, then run this again" ;;
  ssid-not-found) hint="no network named '$ssid' in range: check the name (--hidden if it does not broadcast it)" ;;
  ip-config-unavailable) hint="joined '$ssid' but got no address: the network's DHCP did not answer (NetworkManager keeps trying)" ;;
  supplicant-*) hint="the Wi-Fi handshake failed: check the passphrase and the security type" ;;
  *) hint="see journalctl -u NetworkManager -b" ;;
esac
echo "wifi-provision.sh: '$name' did not connect: NetworkManager says '${reason:-unknown}'${supplicant:+, wpa_supplicant $supplicant}; $hint. The connection is kept and retried." >&2
exit "$status"
