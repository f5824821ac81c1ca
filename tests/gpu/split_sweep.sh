#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Which Tuning::vulkanSplitWorkgroups suits this GPU: percept-bench on the models at each target
# (PERCEPT_VULKAN_SPLIT_WORKGROUPS), fp32 and fp16 arithmetic, interleaved round by round. Run on
# the GPU machine after tests/gpu/run_gpu_bench.sh has unpacked the bench and exported the
# models (same call):
#   bash tests/gpu/split_sweep.sh ROUNDS "64 128 256 512" "resnet18 resnet50 convnext_tiny"
# One JSON line per run (median ms, GPU ms, per-layer ms and algorithm) to $OUT/split_sweep.jsonl.
set -euo pipefail
rounds=$1 targets=$2 models=$3
out=${OUT:-/tmp/percept-gpu-out}/split_sweep.jsonl
for r in $(seq "$rounds"); do
  for m in $models; do
    for t in $targets; do
      for cfg in fp32 fp16-arith; do
        flags=()
        [ "$cfg" = fp32 ] || flags=(--fp16-arith)
        PERCEPT_VULKAN_SPLIT_WORKGROUPS=$t LD_LIBRARY_PATH=/tmp/percept/lib /tmp/percept/percept-bench --model "/tmp/percept-models/$m.onnx" \
          --backend vulkan --json --runs 40 --warmup 5 "${flags[@]}" 2>/dev/null | grep '^{' | tail -1 |
          python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'round': $r, 'model': '$m', 'target': $t, 'config': '$cfg',
            'ms': d['ms']['median'], 'gpu_ms': d.get('gpu_ms'), 'layers': [[l['name'], l['algo'], l['ms']] for l in d['layers']]}))" >>"$out" || true
      done
    done
  done
  echo "split sweep: round $r done"
done
