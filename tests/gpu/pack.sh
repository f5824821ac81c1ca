#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prepares, on this (GPU-less) machine, what tests/gpu/run_gpu_bench.sh needs on the GPU machine,
# where nothing can be installed or fetched and the project cannot be built (no Debian
# packages there):
#   .gpu/bundle.tar.xz  percept-bench and the shared libraries it loads (OpenCV, protobuf,
#                       OpenBLAS, libstdc++ ...; not glibc), ~14 MB compressed
#   .gl/*.deb           the Vulkan loader and glvnd (the GPU image has the NVIDIA driver but
#                       neither; its ICD needs glvnd's libGLdispatch), as the device README says
# Both are git-ignored; the device tool's `carry` takes them along. Then, with the device tool:
#   run  carry=[".gl", ".gpu"]  timeout_s=600
#        command="bash tests/gpu/run_gpu_bench.sh --rounds 3 --runs 100"
# (see run_gpu_bench.sh for splitting the models over several calls).
#
#
# usage: tests/gpu/pack.sh [BUILD_DIR] [--ops]   (in the repository root; default BUILD_DIR: build)
#   --ops: the Vulkan op tests instead (.gpu-ops/bundle.tar.xz, for tests/gpu/run_gpu_op_tests.sh;
#          a folder of its own: with the bench's bundle it would pass the 64 MiB a call carries)
set -euo pipefail
build=build target=percept-bench binary=inference/tools/percept-bench dir=.gpu
for arg in "$@"; do
  if [ "$arg" = --ops ]; then target=percept_op_tests binary=tests/engine/percept_op_tests dir=.gpu-ops; else build=$arg; fi
done
cmake --build "$build" --target "$target"
rm -rf "$dir" && mkdir -p "$dir/bundle/lib"
cp "$build/$binary" "$dir/bundle/"
# glibc and the C++ runtime stay the GPU image's (newer than Debian 12's, and the NVIDIA driver
# loaded into the same process may need their newer symbols); everything else travels.
ldd "$build/$binary" | awk '$3 ~ /^\// {print $3}' |
  grep -vE '/(libc|libm|libpthread|libdl|librt|libresolv|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' | xargs -I{} cp -L {} "$dir/bundle/lib/"
tar -cJf "$dir/bundle.tar.xz" -C "$dir/bundle" .
rm -rf "$dir/bundle"
mkdir -p .gl /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
# shellcheck disable=SC2086
apt-get $o update >/dev/null
# shellcheck disable=SC2086
(cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh "$dir" .gl
