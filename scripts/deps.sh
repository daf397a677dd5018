#!/bin/sh
# Installs the Debian packages Strata needs, if any are missing.
#   deps.sh build   what `make run` needs: a C compiler and make
#   deps.sh [test]  what `make test` and .ci/run need as well:
#                   clang with libFuzzer and the sanitizer runtimes, and the
#                   kernel-side tools of the interop tests
#   deps.sh bench   what `make bench` needs: Debian's lwIP (the in-process
#                   peer) and iproute2 (`ip netns`, for the kernel peer)
set -u
pkgs="gcc make libc6-dev"
case "${1:-test}" in
build) ;;
bench) pkgs="$pkgs liblwip-dev iproute2" ;;
*) pkgs="$pkgs clang libclang-rt-14-dev iproute2 iputils-ping iputils-arping tcpdump tshark socat netcat-openbsd curl" ;;
esac
missing=""
for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq || exit 1
$SUDO apt-get install -y -qq --no-install-recommends $missing
