#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Makes a Debian 12 arm64 root: the sysroot of the cross build and the emulated tests, or (with
# a package list) a fresh root holding only some packages, to run the arm64 .deb in:
#   packaging/arm64/make-sysroot.sh DIR                     the packages of sysroot-packages.txt
#   packaging/arm64/make-sysroot.sh DIR "pkg1, pkg2 (>= 1)" those (a Depends field will do)
# The packages and their dependencies are downloaded and unpacked by mmdebstrap into DIR: no
# maintainer script runs and nothing is installed on this machine, whose dpkg database and
# amd64 libraries stay as they are. (Installing arm64 multi-arch packages instead would not
# leave them alone: libopencv-imgcodecs-dev:arm64 pulls GDAL, whose arm64 and amd64 packages
# conflict, and apt would remove the amd64 OpenCV.) Then what the maintainer scripts would have
# done and the tools need is done by hand:
#   - absolute symbolic links are made relative, so they resolve inside DIR (for the linker
#     given --sysroot and for qemu-aarch64-static -L DIR alike);
#   - the BLAS/LAPACK/OpenBLAS alternatives point at OpenBLAS (the engine links libopenblas.so,
#     libopencv_core needs liblapack.so.3).
# PERCEPT_ARM64_APT_CACHE=DIR keeps the downloaded .debs there and reuses them (CI makes two
# roots from mostly the same packages). Needs mmdebstrap and the Debian archive (the full
# sysroot: about 330 MB to download, 1.4 GB unpacked).
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 DIR [PACKAGES]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
dir=$1
if [ $# -eq 2 ]; then
  # "a, b (>= 1), c | d" -> "a,b,c": names only (the versions are those of Debian 12 anyway).
  pkgs=$(printf '%s' "$2" | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' | paste -sd, -)
else
  pkgs=$(grep -v '^#' "$here/sysroot-packages.txt" | grep -v '^$' | paste -sd, -)
fi
cache=${PERCEPT_ARM64_APT_CACHE:-}
set --
if [ -n "$cache" ]; then
  mkdir -p "$cache"
  cache=$(cd "$cache" && pwd)
  set -- --skip=download/empty --skip=cleanup/apt/cache \
    --setup-hook="mkdir -p \"\$1/var/cache/apt/archives\" && find '$cache' -name '*.deb' -exec cp -t \"\$1/var/cache/apt/archives/\" {} +" \
    --customize-hook="find \"\$1/var/cache/apt/archives\" -name '*.deb' -exec mv -t '$cache/' {} +"
fi
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"  # mmdebstrap needs the parent (a fresh build-arm64/)
# As root; as a user, through sudo where there is one (mmdebstrap's own unprivileged mode needs
# subordinate ids and user namespaces set up), the tree then handed back to the user.
asroot=""
[ "$(id -u)" -eq 0 ] || ! command -v sudo >/dev/null || asroot=sudo
$asroot mmdebstrap --quiet --variant=extract --architectures=arm64 --include="$pkgs" "$@" bookworm "$dir"
[ -z "$asroot" ] || sudo chown -R "$(id -u):$(id -g)" "$dir" ${cache:+"$cache"}

# Absolute links -> relative (a link /a/b/c -> /x/y becomes c -> ../../x/y). /dev is left alone.
find "$dir" -path "$dir/dev" -prune -o -type l -print | while read -r link; do
  target=$(readlink "$link")
  case "$target" in
    /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$dir$target")" "$link" ;;
  esac
done

# update-alternatives as OpenBLAS's postinst scripts would set them (libraries and headers).
lib="$dir/usr/lib/aarch64-linux-gnu" inc="$dir/usr/include/aarch64-linux-gnu"
if [ -d "$lib/openblas-pthread" ]; then
  for so in libblas.so.3 liblapack.so.3 libblas.so liblapack.so libopenblas.so.0 libopenblas.so; do
    [ -e "$lib/openblas-pthread/$so" ] && ln -sfn "openblas-pthread/$so" "$lib/$so"
  done
  for h in cblas.h f77blas.h openblas_config.h; do
    [ -e "$inc/openblas-pthread/$h" ] && ln -sfn "openblas-pthread/$h" "$inc/$h"
  done
fi
echo "arm64 root ready: $dir ($(du -sh "$dir" | cut -f1))"
