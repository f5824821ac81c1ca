#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prepares, on this (GPU-less) machine, what tests/gpu/run_gpu_bench.sh needs on the GPU machine,
# where nothing can be installed or fetched and the project cannot be built (no Debian
# packages there):
#   .gpu/bundle.tar.xz  percept-bench, percept-quantize, the op and Vulkan kernel tests, and the shared libraries
#                       they load (OpenCV and what it pulls in, protobuf, OpenBLAS ...; not
#                       glibc or libstdc++), ~55 MB compressed
#   .gl/*.deb           the Vulkan loader and glvnd (the GPU image has the NVIDIA driver but
#                       neither; its ICD needs glvnd's libGLdispatch), as the device README says
# Both are git-ignored; the device tool's `carry` takes them along. Then, with the device tool:
#   run  carry=[".gl", ".gpu"]  timeout_s=600
#        command="bash tests/gpu/run_gpu_bench.sh --rounds 3 --runs 100"
# (see run_gpu_bench.sh for splitting the models over several calls).
#
#
# usage: tests/gpu/pack.sh [BUILD_DIR]   (in the repository root; default BUILD_DIR: build)
# The bundle holds the bench and the Vulkan test binaries (tests/gpu/run_gpu_op_tests.sh): one
# set of shared libraries for all three, so both fit the 64 MiB a call carries.
set -euo pipefail
build=${1:-build}
# PERCEPT_GPU_TARGETS: a shorter list where a call carries more beside the bundle (run_gpu_int8.sh
# has no use for the kernel tests: PERCEPT_GPU_TARGETS="percept-bench percept-quantize percept_op_tests").
targets=${PERCEPT_GPU_TARGETS:-percept-bench percept-quantize percept_op_tests percept_vulkan_tests}
declare -A path=([percept-bench]=inference/tools/percept-bench [percept-quantize]=inference/tools/percept-quantize
                 [percept_op_tests]=tests/engine/percept_op_tests [percept_vulkan_tests]=tests/vulkan/percept_vulkan_tests)
binaries=""
for t in $targets; do binaries="$binaries ${path[$t]}"; done
# shellcheck disable=SC2086
cmake --build "$build" --target $targets
dir=.gpu
rm -rf "$dir" && mkdir -p "$dir/bundle/lib"
for b in $binaries; do cp "$build/$b" "$dir/bundle/"; done
# PERCEPT_GPU_BASE: another build's percept-bench (e.g. the last commit's, built aside), packed
# beside this one as percept-bench-base, so one call can time both, interleaved
# (env_sweep.sh N PERCEPT_BENCH "/tmp/percept/percept-bench-base /tmp/percept/percept-bench" ...).
# The engine is linked in statically, so the two share the bundle's libraries.
if [ -n "${PERCEPT_GPU_BASE:-}" ]; then cp "$PERCEPT_GPU_BASE" "$dir/bundle/percept-bench-base"; fi
# glibc and the C++ runtime stay the GPU image's (newer than Debian 12's, and the NVIDIA driver
# loaded into the same process may need their newer symbols); everything else travels.
for b in $binaries; do ldd "$build/$b"; done | awk '$3 ~ /^\// {print $3}' | sort -u |
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
