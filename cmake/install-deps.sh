#!/bin/sh
# Installs sdekit's build dependencies from Debian's packages (as root, or through sudo when not root).
set -e
packages="g++ cmake make libeigen3-dev libboost-dev librandom123-dev doctest-dev gnuplot-nox libnlopt-dev libopenmpi-dev openmpi-bin clang libclang-rt-14-dev doxygen libsbml5-dev libtorch-dev"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
$as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends $missing
