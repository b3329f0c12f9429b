#!/usr/bin/env bash
# Adds (or updates) a Wi-Fi connection in NetworkManager for the Pi, with the MAC kept stable so that the
# topic DATA/<mac> stays the same. The radio is NetworkManager's; LabTelemetry only waits for the network.
#
#   sudo ./wifi-provision.sh --ssid LabWiFi --psk 'secret'
#   sudo ./wifi-provision.sh --ssid Hidden --psk-file /root/psk --hidden --priority 10
#   ./wifi-provision.sh --ssid LabWiFi --psk x --dry-run     print the nmcli commands instead of running them
#
# Options: --ssid NAME (required), --psk PASSPHRASE | --psk-file FILE | --open, --hidden, --priority N (higher
# wins, default 10), --name CONNECTION (default: the SSID), --ifname IFACE (default wlan0), --no-autoconnect,
# --dry-run.
set -euo pipefail

ssid="" psk="" open=false hidden=no priority=10 name="" ifname=wlan0 autoconnect=yes dry_run=false
while [ $# -gt 0 ]; do
  case "$1" in
    --ssid) ssid=${2:?--ssid needs a name}; shift 2 ;;
    --psk) psk=${2:?--psk needs a passphrase}; shift 2 ;;
    --psk-file) psk=$(head -n 1 "${2:?--psk-file needs a file}"); shift 2 ;;
    --open) open=true; shift ;;
    --hidden) hidden=yes; shift ;;
    --priority) priority=${2:?--priority needs a number}; shift 2 ;;
    --name) name=${2:?--name needs a connection name}; shift 2 ;;
    --ifname) ifname=${2:?--ifname needs an interface}; shift 2 ;;
    --no-autoconnect) autoconnect=no; shift ;;
    --dry-run) dry_run=true; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "wifi-provision.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
done
[ -n "$ssid" ] || { echo "wifi-provision.sh: --ssid is required" >&2; exit 64; }
if ! $open && [ ${#psk} -lt 8 ]; then
  echo "wifi-provision.sh: a WPA passphrase has 8 to 63 characters (or use --open)" >&2; exit 64
fi
case "$priority" in *[!0-9-]*|'') echo "wifi-provision.sh: --priority takes a number" >&2; exit 64 ;; esac
name=${name:-$ssid}

run() {
  if $dry_run; then
    printf '%q ' "$@" | sed 's/ $//'; echo
  else
    "$@"
  fi
}

# cloned-mac-address=permanent: connect with the card's own MAC, never a random one, so the topic is stable.
settings=(
  connection.autoconnect "$autoconnect"
  connection.autoconnect-priority "$priority"
  802-11-wireless.ssid "$ssid"
  802-11-wireless.hidden "$hidden"
  802-11-wireless.cloned-mac-address permanent
)
# An open network has no security section at all.
$open || settings+=(wifi-sec.key-mgmt wpa-psk wifi-sec.psk "$psk")

if ! $dry_run && nmcli -t -f NAME connection show | grep -Fxq "$name"; then
  run nmcli connection modify "$name" "${settings[@]}"
else
  run nmcli connection add type wifi ifname "$ifname" con-name "$name" "${settings[@]}"
fi
run nmcli connection up "$name"
