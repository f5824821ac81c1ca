#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs ort_check.js on the int8 models, installing onnxruntime-node into the build tree first
# (as tests/zoo/generate_zoo.sh does, from the same package.json). Without node or npm: exit 77
# (CTest: skipped) on a developer's machine, 1 under CI.
#
# usage: ort_check.sh INT8_BUILD_DIR PACKAGE_JSON
set -euo pipefail
out=$1 package=$2
here=$(cd "$(dirname "$0")" && pwd)
skip() {
  echo "int8_onnxruntime: $1"
  if [ -n "${CI:-}" ]; then echo "int8_onnxruntime: CI is set, so ONNX Runtime must run: FAILED"; exit 1; fi
  exit 77
}
command -v node >/dev/null || skip "node is missing (Debian: nodejs)"
command -v npm >/dev/null || skip "npm is missing"
mkdir -p "$out/ort"
if ! cmp -s "$package" "$out/ort/installed-package.json" || [ ! -d "$out/ort/node_modules/onnxruntime-node" ]; then
  cp "$package" "$out/ort/package.json"
  # --ignore-scripts: the package's postinstall only fetches a CUDA add-on.
  (cd "$out/ort" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error) || skip "npm could not install onnxruntime-node"
  cp "$package" "$out/ort/installed-package.json"
fi
node "$here/ort_check.js" --dir "$out" --modules "$out/ort"
