#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes the int8 models the int8 tests read (CTest fixture int8_models, see CMakeLists.txt):
# percept-quantize on each shared model, per-channel weights, percentile ranges, calibrated on
# the licensed reference photos in resources/calibration (never on the test photos). A model
# newer than the quantiser, its source file and this script is left as it is.
# Without ../shared/models: exit 77 (CTest: skipped) on a developer's machine, 1 under CI.
#
# usage: generate_int8.sh OUT_DIR PERCEPT_QUANTIZE CALIBRATION_DIR MODELS_DIR
set -euo pipefail
out=$1 quantize=$2 calib=$3 models=$4
names=(squeezenet1.1 mobilenet_v2_1.0_224 mobilenet_v1_0.5_160 mobilenet_v1_0.25_128)
files=(squeezenet1.1.onnx mobilenet_v2_1.0_224.dequant.onnx mobilenet_v1_0.5_160.dequant.onnx mobilenet_v1_0.25_128.dequant.onnx)
for f in "${files[@]}"; do
  if [ ! -f "$models/$f" ]; then
    echo "generate_int8: missing $models/$f"
    if [ -n "${CI:-}" ]; then echo "generate_int8: CI is set, so the int8 tests must run: FAILED"; exit 1; fi
    exit 77
  fi
done
mkdir -p "$out/models"
start=$(date +%s)
for k in "${!names[@]}"; do
  target="$out/models/${names[$k]}.int8.onnx"
  if [ -f "$target" ] && [ "$target" -nt "$quantize" ] && [ "$target" -nt "$models/${files[$k]}" ] && [ "$target" -nt "$0" ]; then continue; fi
  PERCEPT_MODELS_DIR="$models" "$quantize" --model "${names[$k]}" --calibrate "$calib" --per-channel --method percentile --out "$target"
done
echo "generate_int8: $(($(date +%s) - start)) s"
