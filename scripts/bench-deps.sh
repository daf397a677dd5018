#!/bin/sh
# Installs the Debian packages the benchmarks (bench/) need, if any are
# missing.  Run by `make bench` before bench_echo is compiled; a failure
# (offline, not root without sudo) is reported and the bench then prints
# "skipped" for the peer that needs the package instead of failing.
#   bench_echo: liblwip-dev (Debian's lwIP, the in-process peer; pulls in
#               liblwip0), iproute2 (`ip netns`, for the kernel peer)
set -u
pkgs="liblwip-dev iproute2"
missing=""
for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "bench-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || exit 1
$SUDO apt-get install -y -qq --no-install-recommends $missing
