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
# usage: tests/gpu/pack.sh [BUILD_DIR]     (run in the repository root; default BUILD_DIR: build)
set -euo pipefail
build=${1:-build}
cmake --build "$build" --target percept-bench
rm -rf .gpu && mkdir -p .gpu/bundle/lib
cp "$build/inference/tools/percept-bench" .gpu/bundle/
# glibc and the C++ runtime stay the GPU image's (newer than Debian 12's, and the NVIDIA driver
# loaded into the same process may need their newer symbols); everything else travels.
ldd "$build/inference/tools/percept-bench" | awk '$3 ~ /^\// {print $3}' |
  grep -vE '/(libc|libm|libpthread|libdl|librt|libresolv|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' | xargs -I{} cp -L {} .gpu/bundle/lib/
tar -cJf .gpu/bundle.tar.xz -C .gpu/bundle .
rm -rf .gpu/bundle
mkdir -p .gl /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
# shellcheck disable=SC2086
apt-get $o update >/dev/null
# shellcheck disable=SC2086
(cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh .gpu .gl
