#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# int8 on the GPU (issue 11 part 3) on the GPU machine, unattended:
#  1. the int8 op tests on the NVIDIA driver (CI only has lavapipe);
#  2. the shared SqueezeNet 1.1's int8 copy (made here by the int8_models CTest fixture and its
#     accuracy test, copied with one photo's input into .gpu-int8 by --prepare; a call carries
#     64 MiB, the bundle takes 55) on the Vulkan backend and the CPU backend, interleaved
#     (percept-bench --compare): the same logits, the same top-1;
#  3. torchvision's models (random weights, exported there by torch_peer.py), quantised there by
#     percept-quantize on resources/calibration, fp32 against int8 on the Vulkan backend,
#     interleaved round by round: ms, and the per-round ratio int8 / fp32; and each int8 model on
#     Vulkan against the CPU on its export's input (the same logits, the same top-1).
# Prepare with tests/gpu/pack.sh and `tests/gpu/run_gpu_int8.sh --prepare build` (after the int8
# tests ran in build), then (device tool, repository root):
#   run  carry=[".gl", ".gpu", ".gpu-int8"]  timeout_s=600
#        command="bash tests/gpu/run_gpu_int8.sh --rounds 3 --runs 50"
# Everything lands in $OUT (or /tmp/percept-gpu-out).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=3 runs=50 models=squeezenet1_1,mobilenet_v2,resnet18,resnet50
if [ "${1:-}" = --prepare ]; then
  build=$2
  rm -rf .gpu-int8 && mkdir -p .gpu-int8
  for name in squeezenet1.1; do
    cp "$build/tests/int8/models/$name.int8.onnx" .gpu-int8/
    cp "$build/tests/int8/data/$name/rocket.input.npy" ".gpu-int8/$name.rocket.input.npy"
  done
  du -sh .gpu-int8
  exit 0
fi
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    *) echo "run_gpu_int8: unknown argument $1" >&2; exit 2 ;;
  esac
done
. tests/gpu/vulkan_env.sh
out=${OUT:-/tmp/percept-gpu-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv || true
ours() { LD_LIBRARY_PATH=/tmp/percept/lib "$@"; }

echo "== 1. int8 op tests on Vulkan"
set +e
(cd /tmp/percept && ours env PERCEPT_TEST_BACKENDS=vulkan ./percept_op_tests --gtest_filter='*Int8*:Int8*') >"$out/int8_op_tests.txt" 2>&1
echo "op tests: exit $?"; grep -E '^\[  (PASSED|FAILED) |^\[  FAILED  \]' "$out/int8_op_tests.txt"
set -e

echo "== 2. the shared models' int8 copies: Vulkan against the CPU"
for m in .gpu-int8/*.int8.onnx; do
  [ -f "$m" ] || continue
  name=$(basename "$m" .int8.onnx)
  ours /tmp/percept/percept-bench --model "$m" --compare cpu,vulkan --threads 8 --no-opencv --runs 20 --warmup 5 --layers 0 \
    --input ".gpu-int8/$name.rocket.input.npy" 2>&1 | grep -E "agreement|^$name|ms" | tail -4
done | tee "$out/int8_vs_cpu.txt"

echo "== 3. fp32 against int8 on the GPU"
dir=/tmp/percept-models
python3 tests/gpu/torch_peer.py export --out "$dir" --models "$models"
for m in ${models//,/ }; do
  [ -f "$dir/$m.int8.onnx" ] || ours /tmp/percept/percept-quantize --model "$dir/$m.onnx" --calibrate resources/calibration --per-channel \
    --out "$dir/$m.int8.onnx" | tail -2
done
: >"$out/int8_bench.jsonl"
for r in $(seq 1 "$rounds"); do
  for m in ${models//,/ }; do
    for v in "" .int8; do
      ours /tmp/percept/percept-bench --model "$dir/$m$v.onnx" --backend vulkan --no-opencv --no-timestamps --runs "$runs" --warmup 10 --layers 0 --json |
        tail -1 | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(json.dumps({'round': $r, 'model': '$m', 'variant': 'int8' if '$v' else 'fp32', 'ms': d['ms']['median'], 'device': d['device']}))" \
        >>"$out/int8_bench.jsonl"
    done
  done
  echo "round $r done"
done
# Each int8 model on Vulkan against the CPU, on the export's input.
for m in ${models//,/ }; do
  echo "$m: $(ours /tmp/percept/percept-bench --model "$dir/$m.int8.onnx" --compare cpu,vulkan --threads 8 --no-opencv --runs 5 --warmup 2 \
    --layers 0 --input "$dir/$m.input.npy" 2>&1 | grep -m1 agreement)"
done | tee "$out/int8_torchvision_vs_cpu.txt"
# One profiled run per model and variant: where the int8 time goes.
for m in ${models//,/ }; do
  for v in "" .int8; do
    ours /tmp/percept/percept-bench --model "$dir/$m$v.onnx" --backend vulkan --no-opencv --runs 20 --warmup 5 --layers 12 >"$out/layers_$m$v.txt" 2>&1 || true
  done
done
python3 - "$out/int8_bench.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("device:", rows[0]["device"] if rows else "-")
print(f"{'model':<16} {'fp32 ms':>9} {'int8 ms':>9} {'int8/fp32 [rounds]':>24}")
for m in dict.fromkeys(r["model"] for r in rows):
    f = {r["round"]: r["ms"] for r in rows if r["model"] == m and r["variant"] == "fp32"}
    q = {r["round"]: r["ms"] for r in rows if r["model"] == m and r["variant"] == "int8"}
    ratios = [q[k] / f[k] for k in f if k in q]
    print(f"{m:<16} {statistics.median(f.values()):9.3f} {statistics.median(q.values()):9.3f} {statistics.median(ratios):8.2f} [{min(ratios):.2f}-{max(ratios):.2f}]")
PY
