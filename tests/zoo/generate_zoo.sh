#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes the model zoo the zoo tests read (CTest fixture percept_zoo, see CMakeLists.txt):
#   1. export_zoo.py: torchvision classifiers as ONNX + a real photo's input + PyTorch's output
#   2. onnxruntime-node, installed with npm into the build tree (once per package.json)
#   3. ort_reference.js: ONNX Runtime's output for each model
# Each step leaves what is already up to date alone, so a second run takes seconds.
# Without torch or node: exit 77 (CTest: skipped) on a developer's machine, 1 under CI, where
# the zoo must run.
#
# usage: generate_zoo.sh BUILD_DIR IMAGES_DIR [PYTHON]
#   BUILD_DIR/data: the zoo; BUILD_DIR/ort: node_modules for onnxruntime-node
set -euo pipefail
out=$1 images=$2 python=${3:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)

missing=()
"$python" -c 'import torch, torchvision, onnx, numpy, PIL' 2>/dev/null ||
  missing+=("torch, torchvision, onnx, numpy, PIL for $python (Debian: python3-torch python3-torchvision python3-onnx python3-numpy python3-pil)")
command -v node >/dev/null || missing+=("node (Debian: nodejs)")
command -v npm >/dev/null || missing+=("npm")
if [ ${#missing[@]} -gt 0 ]; then
  printf 'generate_zoo: missing: %s\n' "${missing[@]}"
  if [ -n "${CI:-}" ]; then echo "generate_zoo: CI is set, so the zoo must run: FAILED"; exit 1; fi
  echo "generate_zoo: skipped (install the above to run the model zoo tests)"
  exit 77
fi

start=$(date +%s)
mkdir -p "$out/data" "$out/ort"
"$python" "$here/export_zoo.py" --out "$out/data" --images "$images"

# ONNX Runtime: the same exit codes (77 skipped, 1 under CI) when it cannot be installed.
bash "$here/install_ort.sh" "$out/ort"
node "$here/ort_reference.js" --zoo "$out/data" --modules "$out/ort"
echo "generate_zoo: $(($(date +%s) - start)) s, $(du -sh "$out/data" | cut -f1) in $out/data"
