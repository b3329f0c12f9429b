#!/bin/sh
# Runs once in the image's root (chroot, packages installed): what makes a plain bookworm the virtual Pi. Its text
# is part of the image's cache key, as are the other files beside it, which it installs.
set -eu
here=$(dirname "$0")
lib=/usr/local/lib/virtualpi
install -d "$lib" /etc/virtualpi
install -m 0755 "$here/ap-namespace.sh" "$lib/ap-namespace.sh"
install -m 0755 "$here/agent.sh" "$lib/agent.sh"
install -m 0755 "$here/fake-w1.pl" "$lib/fake-w1.pl"

echo virtualpi > /etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 virtualpi\n' > /etc/hosts
# The root is the whole virtio disk: no partition table (the image is made by mkfs.ext4 -d).
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' > /etc/fstab

# The console is the test's window: journald copies every line to it (the service's included), and a getty there
# would hang up the port each time it restarts. The journal is kept on disk, so a boot after a power cut still shows
# the one before.
install -d /etc/systemd/journald.conf.d /var/log/journal
cat > /etc/systemd/journald.conf.d/virtualpi.conf <<'CONF'
[Journal]
Storage=persistent
ForwardToConsole=yes
MaxLevelConsole=info
TTYPath=/dev/ttyS0
CONF
ln -sf /dev/null /etc/systemd/system/serial-getty@ttyS0.service
rm -f /etc/systemd/system/getty.target.wants/*

# Housekeeping that would only take CPU from the tests at random moments, or at boot (e2scrub_reap's 10 s).
for unit in e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
  fstrim.timer; do
  ln -sf /dev/null "/etc/systemd/system/$unit"
done

# Debian enables its own hostapd.service (on /etc/hostapd/hostapd.conf, outside the namespace): ours replaces it.
ln -sf /dev/null /etc/systemd/system/hostapd.service

# NetworkManager owns wlan0 and nothing else; the wired NIC is the access point's uplink, in its namespace.
cat > /etc/NetworkManager/conf.d/virtualpi.conf <<'CONF'
[keyfile]
unmanaged-devices=except:interface-name:wlan0
CONF

# The lab's access point, on the second simulated radio.
cat > /etc/virtualpi/hostapd.conf <<'CONF'
interface=wlan1
driver=nl80211
ctrl_interface=/run/virtualpi-hostapd
ssid=LabWiFi
hw_mode=g
channel=6
wpa=2
wpa_key_mgmt=WPA-PSK
rsn_pairwise=CCMP
wpa_passphrase=virtual-pi-passphrase
CONF
# Its DHCP: a test that wants another address for the station edits the range and restarts virtualpi-dhcp.
cat > /etc/virtualpi/dhcp.conf <<'CONF'
port=0
interface=wlan1
bind-interfaces
dhcp-authoritative
dhcp-range=10.77.0.10,10.77.0.99,255.255.255.0,1h
dhcp-leasefile=/run/virtualpi-dhcp.leases
CONF

# Ordered before NetworkManager, so that wlan0 is all it ever sees of the radios and the NIC.
cat > /etc/systemd/system/virtualpi-radios.service <<'UNIT'
[Unit]
Description=Virtual Pi: two simulated radios, the access point's and the wired NIC in namespace ap
Before=network-pre.target NetworkManager.service wpa_supplicant.service
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/lib/virtualpi/ap-namespace.sh

[Install]
WantedBy=multi-user.target
UNIT

# No [Install]: the kernel command line pulls it in (systemd.wants=virtualpi-ap.service) unless the boot asks for
# the access point down; a test takes it down and up with systemctl stop and start.
cat > /etc/systemd/system/virtualpi-ap.service <<'UNIT'
[Unit]
Description=Virtual Pi: the lab's access point (hostapd, WPA2-PSK) in namespace ap
Requires=virtualpi-radios.service
After=virtualpi-radios.service
Before=NetworkManager.service

[Service]
NetworkNamespacePath=/run/netns/ap
ExecStart=/usr/sbin/hostapd /etc/virtualpi/hostapd.conf
UNIT

cat > /etc/systemd/system/virtualpi-dhcp.service <<'UNIT'
[Unit]
Description=Virtual Pi: the access point's DHCP server (dnsmasq) in namespace ap
Requires=virtualpi-radios.service
After=virtualpi-radios.service

[Service]
NetworkNamespacePath=/run/netns/ap
ExecStart=/usr/sbin/dnsmasq --keep-in-foreground --conf-file=/etc/virtualpi/dhcp.conf

[Install]
WantedBy=multi-user.target
UNIT

# The build under test, when the boot shares one (virtualpi.sh boot --build): read-only, as a USB stick would be.
install -d /mnt/build
cat > /etc/systemd/system/mnt-build.mount <<'UNIT'
[Unit]
Description=Virtual Pi: the build under test, shared read-only by the host
ConditionKernelCommandLine=virtualpi.build

[Mount]
What=build
Where=/mnt/build
Type=9p
Options=trans=virtio,version=9p2000.L,msize=262144,ro

[Install]
WantedBy=multi-user.target
UNIT

# At every boot that asks for it (a reboot too), before the service that reads it and before NetworkManager and the
# radios, so that nothing looks at /sys while it changes.
cat > /etc/systemd/system/virtualpi-fake-w1.service <<'UNIT'
[Unit]
Description=Virtual Pi: a fake 1-Wire bus with one DS18B20
ConditionKernelCommandLine=virtualpi.fake_w1
Before=labtelemetry.service NetworkManager.service virtualpi-radios.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/lib/virtualpi/fake-w1.pl

[Install]
WantedBy=multi-user.target
UNIT

# One agent per virtio-serial port, so that the test can run commands side by side. Up as soon as its port is,
# before the rest of the boot, so that a boot that hangs can still be looked into.
cat > /etc/systemd/system/virtualpi-agent@.service <<'UNIT'
[Unit]
Description=Virtual Pi: the test's agent on port virtualpi.agent.%i
DefaultDependencies=no
BindsTo=dev-virtio\x2dports-virtualpi.agent.%i.device
After=dev-virtio\x2dports-virtualpi.agent.%i.device

[Service]
ExecStart=/usr/local/lib/virtualpi/agent.sh /dev/virtio-ports/virtualpi.agent.%i
Environment=HOME=/root LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0
WorkingDirectory=/root
Restart=always
RestartSec=1

[Install]
WantedBy=sysinit.target
UNIT

# What virtualpi.sh boot waits for. After= the target it is wanted by: it runs once everything else has started
# (a unit that waited for is-system-running instead would wait for itself).
cat > /etc/systemd/system/virtualpi-booted.service <<'UNIT'
[Unit]
Description=Virtual Pi: say on the console that multi-user.target is reached
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/echo virtualpi: multi-user.target reached
StandardOutput=tty
TTYPath=/dev/ttyS0
TTYVHangup=no
TTYReset=no

[Install]
WantedBy=multi-user.target
UNIT

systemctl enable virtualpi-radios.service virtualpi-dhcp.service virtualpi-booted.service mnt-build.mount \
  virtualpi-fake-w1.service \
  virtualpi-agent@0.service virtualpi-agent@1.service virtualpi-agent@2.service virtualpi-agent@3.service
