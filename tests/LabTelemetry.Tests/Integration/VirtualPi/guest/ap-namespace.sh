#!/bin/bash
# Two simulated radios (mac80211_hwsim): wlan0 stays here, the station NetworkManager manages; wlan1's radio and the
# wired NIC go to namespace ap, the lab's access point and its way out (qemu's user network, where 10.0.2.100 is the
# test's broker). So the station reaches the broker through the Wi-Fi or not at all.
#
#   station wlan0 (DHCP from the AP) ~~ wlan1 10.77.0.1 | ap: forward, masquerade | eth0 10.0.2.15 -> 10.0.2.2
#
# Few processes (ip's batches, bash's own file reads): each costs a tenth of a second or more under emulation.
set -euo pipefail

# Radios made at load share one medium whichever namespace they move to later.
modprobe mac80211_hwsim radios=2
# Loaded here rather than left to udev, whose coldplug may come later, so that eth0 exists when it is moved.
modprobe virtio_net
for _ in {1..100}; do
  [ -e /sys/class/net/wlan1/phy80211 ] && [ -e /sys/class/net/eth0 ] && break
  sleep 0.1
done
[ -e /sys/class/net/wlan1/phy80211 ] || { echo "ap-namespace.sh: no wlan1 after loading mac80211_hwsim" >&2; exit 1; }
[ -e /sys/class/net/eth0 ] || { echo "ap-namespace.sh: no eth0 (the virtio NIC)" >&2; exit 1; }

phy=$(readlink -f /sys/class/net/wlan1/phy80211)
phy=${phy##*/}
ip -batch - <<'IP'
netns add ap
link set eth0 netns ap
IP
# A wireless interface moves with its radio (iw phy), not on its own (ip link).
iw phy "$phy" set netns name ap
# wlan1's address stays while hostapd is down and up again, so that dnsmasq always has it to serve from.
ip -n ap -batch - <<'IP'
link set lo up
link set eth0 up
address add 10.0.2.15/24 dev eth0
route add default via 10.0.2.2
address add 10.77.0.1/24 dev wlan1
IP
ip netns exec ap sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward && exec nft -f -' <<'NFT'
table ip virtualpi {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "eth0" masquerade
  }
}
NFT
echo "ap-namespace.sh: wlan0 here ($(</sys/class/net/wlan0/address)); $phy (wlan1) and eth0 in namespace ap"
