#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt already uses (its first deb source that serves bookworm's main), so
# that debootstrap and the roots built from it fetch from where apt does and no host is named in the code.
# LABTELEMETRY_DEBIAN_MIRROR overrides it.
set -euo pipefail

if [ -n "${LABTELEMETRY_DEBIAN_MIRROR:-}" ]; then
  echo "$LABTELEMETRY_DEBIAN_MIRROR"
  exit 0
fi

# deb822 files (Types/URIs/Suites stanzas), then one-line sources.
for file in /etc/apt/sources.list.d/*.sources; do
  [ -e "$file" ] || continue
  awk 'BEGIN { RS = ""; FS = "\n" }
       {
         types = uris = suites = comps = ""
         for (i = 1; i <= NF; i++) {
           if ($i ~ /^Types:/) types = $i
           else if ($i ~ /^URIs:/) uris = $i
           else if ($i ~ /^Suites:/) suites = $i
           else if ($i ~ /^Components:/) comps = $i
         }
         if (types ~ /(^|[ \t])deb([ \t]|$)/ && suites ~ /[ \t]bookworm([ \t]|$)/ && comps ~ /[ \t]main([ \t]|$)/) {
           sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); print u[1]; exit
         }
       }' "$file"
done | head -n 1 | grep . && exit 0

for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -e "$file" ] || continue
  awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                     if ($(i+1) == "bookworm") { for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i; exit } } }' "$file"
done | head -n 1 | grep . && exit 0

echo "apt-mirror.sh: no deb source for bookworm main in /etc/apt; set LABTELEMETRY_DEBIAN_MIRROR" >&2
exit 1
