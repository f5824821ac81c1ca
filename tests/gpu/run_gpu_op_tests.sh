#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every Vulkan op test (tests/engine, the *vulkan* cases: fp32, fp16 storage, fp16 arithmetic)
# on the GPU machine's NVIDIA driver, where CI only ever has lavapipe. Prepare with
# `tests/gpu/pack.sh` here, then (device tool, repository root):
#   run  carry=[".gl", ".gpu"]  timeout_s=300  command="bash tests/gpu/run_gpu_op_tests.sh"
# Extra arguments go to the test binary (e.g. --gtest_filter='*Depthwise*vulkan*'). The log
# lands in $OUT/op_tests.txt; the failures are printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/gpu/vulkan_env.sh
out=${OUT:-/tmp/percept-gpu-out}
mkdir -p "$out"
filter='*vulkan*'
set +e
(cd /tmp/percept && LD_LIBRARY_PATH=/tmp/percept/lib PERCEPT_TEST_BACKENDS=vulkan ./percept_op_tests --gtest_filter="$filter" "$@") >"$out/op_tests.txt" 2>&1
rc=$?
# The kernel tests (tiled and tensor-core GEMMs and convs, forced forms, split reductions):
# tests/vulkan's VulkanKernels suite.
(cd /tmp/percept && LD_LIBRARY_PATH=/tmp/percept/lib ./percept_vulkan_tests --gtest_filter='VulkanKernels.*') >"$out/kernel_tests.txt" 2>&1
rc2=$?
[ $rc -ne 0 ] || rc=$rc2
set -e
for f in "$out/op_tests.txt" "$out/kernel_tests.txt"; do
  [ -f "$f" ] || continue
  echo "== $(basename "$f")"
  grep -E '^\[ info \]|^\[  (PASSED|FAILED) |^\[  FAILED  \]' "$f" || tail -20 "$f"
done
exit $rc
