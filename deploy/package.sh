#!/usr/bin/env bash
# Builds the Debian package for a Raspberry Pi (arm64) or this machine (amd64): the NativeAOT build deploy/publish.sh
# makes, the systemd unit, /etc/labtelemetry/appsettings.json as a conffile and the maintainer scripts of deploy/debian.
#
#   deploy/package.sh --arch arm64 --out DIR     DIR/labtelemetry_<version>_arm64.deb, and the build in DIR/linux-arm64
#   deploy/package.sh --arch amd64 --out DIR     the same for this machine (DIR/linux-x64)
#   deploy/package.sh ... --version 1.0.0.1      another version than Directory.Build.props's (CI's upgrade test)
#
# Needs the .NET 10 SDK and, for arm64, what deploy/publish.sh needs to cross-compile; dpkg-deb and dpkg-shlibdeps
# (Debian's dpkg-dev) to make the package.
set -euo pipefail

arch=""
out=""
version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=${2:?--arch needs arm64 or amd64}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --version) version=${2:?--version needs a version}; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
done
case "$arch" in
  arm64) rid=linux-arm64 ;;
  amd64) rid=linux-x64 ;;
  *) echo "package.sh: --arch takes arm64 or amd64, not '$arch'" >&2; exit 64 ;;
esac
[ -n "$out" ] || { echo "package.sh: --out DIR is missing" >&2; exit 64; }
for tool in dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is missing (apt-get install dpkg-dev)" >&2; exit 69; }
done

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$version" ]; then
  version=$(dotnet msbuild "$repo/src/LabTelemetry.Worker/LabTelemetry.Worker.csproj" -getProperty:Version -nologo)
fi
install -d "$out"
out=$(cd "$out" && pwd)
build="$out/$rid"
"$repo/deploy/publish.sh" --rid "$rid" --version "$version" --out "$build"

# A build this machine can run says its version itself: it must be the package's.
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
  said=$("$build/LabTelemetry.Worker" --version)
  [ "$said" = "LabTelemetry $version" ] || { echo "package.sh: the build says '$said', the package would be $version" >&2; exit 70; }
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
doc="$root/usr/share/doc/labtelemetry"
# The program and the defaults it reads next to itself; the user's settings override them from /etc/labtelemetry.
install -D -m 0755 "$build/LabTelemetry.Worker" "$root/usr/lib/labtelemetry/LabTelemetry.Worker"
install -m 0644 "$build/appsettings.json" "$root/usr/lib/labtelemetry/appsettings.json"
# System.IO.Ports' native part: Iot.Device.Bindings references it, so the build carries it (loaded only for a serial port).
install -m 0644 "$build/libSystem.IO.Ports.Native.so" "$root/usr/lib/labtelemetry/libSystem.IO.Ports.Native.so"
install -D -m 0755 "$repo/deploy/networkmanager/wifi-provision.sh" "$root/usr/lib/labtelemetry/networkmanager/wifi-provision.sh"
install -m 0644 "$repo/deploy/networkmanager/lab-wifi.nmconnection" "$root/usr/lib/labtelemetry/networkmanager/lab-wifi.nmconnection"
install -D -m 0644 "$repo/deploy/systemd/labtelemetry.service" "$root/lib/systemd/system/labtelemetry.service"
install -D -m 0644 "$repo/deploy/systemd/gpio.conf" "$root/usr/lib/labtelemetry/systemd/gpio.conf"
install -D -m 0644 "$repo/deploy/debian/appsettings.json" "$root/etc/labtelemetry/appsettings.json"
install -D -m 0644 "$repo/README.md" "$doc/README.md"
install -m 0644 "$repo/deploy/debian/copyright" "$doc/copyright"

# A native package's changelog: this version, dated by the commit it was built from.
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
when=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)
maintainer="LabTelemetry maintainers <maintainers@users.noreply.b-seed-3f2ed0bc.example>"
{
  echo "labtelemetry ($version) bookworm; urgency=medium"
  echo
  echo "  * Built from commit $commit; what changed is in the repository's history."
  echo
  echo " -- $maintainer  $(LC_ALL=C date -u -R -d "@$when")"
} | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Depends, each for a reason:
#   libc6   the executable's only NEEDED libraries (libc.so.6, libm.so.6, ld-linux); dpkg-shlibdeps finds the
#           oldest libc6 that has every symbol version it uses.
#   libssl3 the .NET runtime loads libssl.so.3 and libcrypto.so.3 with dlopen for TLS (Mqtt:UseTls), which
#           readelf cannot see; trixie names the package libssl3t64.
# Not needed: zlib (the runtime brings its own, linked in, and nothing here compresses), ICU
# (InvariantGlobalization), libstdc++ and libgcc_s (NativeAOT links its runtime statically), libgssapi_krb5
# (only Negotiate authentication, which an MQTT client never does), init-system-helpers (Essential).
# dpkg-shlibdeps wants a debian/control to read; it warns that the binaries are not yet installed, which is so.
mkdir -p "$stage/shlibs/debian"
printf 'Source: labtelemetry\n\nPackage: labtelemetry\nArchitecture: any\n' > "$stage/shlibs/debian/control"
if ! shlibs=$(cd "$stage/shlibs" && DEB_HOST_ARCH=$arch dpkg-shlibdeps -O "$root/usr/lib/labtelemetry/LabTelemetry.Worker" \
  "$root/usr/lib/labtelemetry/libSystem.IO.Ports.Native.so" 2>"$stage/shlibs/log"); then
  cat "$stage/shlibs/log" >&2
  exit 70
fi
libc=${shlibs#shlibs:Depends=}
case "$libc" in libc6*) ;; *) echo "package.sh: dpkg-shlibdeps said '$shlibs', not a libc6 dependency" >&2; exit 70 ;; esac

install -d "$root/DEBIAN"
cp "$repo/deploy/debian/preinst" "$repo/deploy/debian/postinst" "$repo/deploy/debian/prerm" "$repo/deploy/debian/postrm" "$root/DEBIAN/"
chmod 0755 "$root"/DEBIAN/*
echo /etc/labtelemetry/appsettings.json > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
cat > "$root/DEBIAN/control" <<CONTROL
Package: labtelemetry
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $libc, libssl3 | libssl3t64, libgpiod2 | libgpiod3
Section: net
Priority: optional
Description: DS18B20 temperature to MQTT, for a university lab
 Turns a Raspberry Pi with a DS18B20 thermometer into the MQTT device of the
 lab "interaction of devices over MQTT": every few seconds it publishes the
 temperature, the students and their group to DATA/<MAC of wlan0>, and logs
 what the course's grader answers on RESULT. It runs as a systemd service
 under a dynamic user; readings wait on disk until the broker has them.
 .
 Set the group and names in /etc/labtelemetry/appsettings.json, then
 restart the service.
CONTROL

deb="$out/labtelemetry_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "package.sh: $deb ($(du -h "$deb" | cut -f1)); on the Pi: sudo apt install ./$(basename "$deb")"
