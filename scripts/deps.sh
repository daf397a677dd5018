#!/bin/sh
# Installs the Debian packages the build and the tests need, if any are
# missing.  Run by `make test` (via `make deps`) and by .ci/run.
#   build: gcc make clang (libFuzzer, ASan runtime: libclang-rt-14-dev)
#   interop tests: iproute2 iputils-ping iputils-arping tcpdump tshark
set -u
pkgs="gcc make clang libclang-rt-14-dev iproute2 iputils-ping iputils-arping tcpdump tshark"
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
