#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Which value of one PERCEPT_* tuning variable suits this GPU: percept-bench on each model at
# each value, fp32 and fp16 arithmetic, interleaved round by round. Run on the GPU machine after
# tests/gpu/run_gpu_bench.sh has unpacked the bench and exported the models (same call), e.g.
#   bash tests/gpu/env_sweep.sh 2 PERCEPT_VULKAN_SPLIT_WORKGROUPS "64 128 256 512" "resnet18 resnet50"
#   bash tests/gpu/env_sweep.sh 3 PERCEPT_VULKAN_SPIN "on off" "squeezenet1_1 resnet18" fp32
# PERCEPT_BENCH sweeps the bench binary itself: two builds of the engine, A/B (pack.sh's
# PERCEPT_GPU_BASE packs the second), e.g.
#   bash tests/gpu/env_sweep.sh 3 PERCEPT_BENCH "/tmp/percept/percept-bench-base /tmp/percept/percept-bench" "resnet50"
# One JSON line per run (wall and GPU ms, process CPU ms, per-layer ms and algorithm) to
# $OUT/sweep_<VAR>.jsonl; a summary of medians to stdout.
set -euo pipefail
rounds=$1 var=$2 values=$3 models=$4 configs=${5:-"fp32 fp16-arith"}
out=${OUT:-/tmp/percept-gpu-out}/sweep_$var.jsonl
for r in $(seq "$rounds"); do
  for m in $models; do
    for v in $values; do
      for cfg in $configs; do
        flags=()
        [ "$cfg" = fp32 ] || flags=("--$cfg")
        bench=/tmp/percept/percept-bench
        [ "$var" = PERCEPT_BENCH ] && bench=$v
        env "$var=$v" LD_LIBRARY_PATH=/tmp/percept/lib "$bench" --model "/tmp/percept-models/$m.onnx" \
          --backend vulkan --no-opencv --json --runs 40 --warmup 10 "${flags[@]}" 2>/dev/null | grep '^{' | tail -1 |
          python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'round': $r, 'model': '$m', 'value': '$v', 'config': '$cfg',
            'ms': d['ms']['median'], 'cpu_ms': d['cpu_ms_median'], 'gpu_ms': d.get('gpu_ms'),
            'layers': [[l['name'], l['algo'], l['ms']] for l in d['layers']]}))" >>"$out" || true
      done
    done
  done
done
python3 - "$out" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs[(r["model"], r["config"], r["value"])].append(r)
for (model, config, value), rs in sorted(runs.items()):
    med = lambda key: statistics.median(r[key] or 0 for r in rs)
    print(f"{model:16s} {config:11s} {value:>6s}  wall {med('ms'):.3f} ms  GPU {med('gpu_ms'):.3f} ms  CPU {med('cpu_ms'):.3f} ms  ({len(rs)} rounds)")
PY
