#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The models bench_int8.js times besides the shared ones, each beside its int8 copy: ResNet-18
# (percept-make-model: random weights, PyTorch's export form) and MobileNet v1 1.0/224
# (export_mobilenet_v1.py, needs torch) -- the shapes of ncnn's int8 benchmark figures.
# Random weights change nothing in the timing; the int8 copies are calibrated on
# resources/calibration as the shared models' are. A file newer than its maker is left alone.
#
# usage: make_bench_models.sh BUILD_DIR [PYTHON]     (writes BUILD_DIR/tests/int8/bench)
set -euo pipefail
build=$1 python=${2:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
out="$build/tests/int8/bench"
tools="$build/inference/tools"
mkdir -p "$out"
if [ ! -f "$out/resnet18.onnx" ] || [ "$tools/percept-make-model" -nt "$out/resnet18.onnx" ]; then
  "$tools/percept-make-model" --arch resnet18 --out "$out/resnet18.onnx"
fi
if [ ! -f "$out/mobilenet_v1_1.0_224.onnx" ] || [ "$here/export_mobilenet_v1.py" -nt "$out/mobilenet_v1_1.0_224.onnx" ]; then
  "$python" "$here/export_mobilenet_v1.py" "$out/mobilenet_v1_1.0_224.onnx"
fi
for m in resnet18 mobilenet_v1_1.0_224; do
  if [ ! -f "$out/$m.int8.onnx" ] || [ "$tools/percept-quantize" -nt "$out/$m.int8.onnx" ] || [ "$out/$m.onnx" -nt "$out/$m.int8.onnx" ]; then
    "$tools/percept-quantize" --model "$out/$m.onnx" --calibrate "$here/../../resources/calibration" --per-channel --out "$out/$m.int8.onnx"
  fi
done
