#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs onnxruntime-node (tests/zoo/package.json) into DIR/node_modules with npm, once per
# package.json: the model zoo's references (generate_zoo.sh) and the check that ONNX Runtime
# runs a taught model (tests/train) both use it.
# Without node or npm, or without the registry: exit 77 (CTest: skipped) on a developer's
# machine, 1 under CI, where these tests must run.
#
# usage: install_ort.sh DIR
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
skip() {
  echo "install_ort: $1"
  if [ -n "${CI:-}" ]; then echo "install_ort: CI is set, so ONNX Runtime must be there: FAILED"; exit 1; fi
  echo "install_ort: skipped"
  exit 77
}
command -v node >/dev/null || skip "missing: node (Debian: nodejs)"
command -v npm >/dev/null || skip "missing: npm"
mkdir -p "$out"
# One install at a time into a directory (the zoo's fixture and the teaching tests' share it).
exec 9>"$out/.install.lock"
flock 9
# npm's own record of a finished install is the copy of package.json taken after it succeeded.
if ! cmp -s "$here/package.json" "$out/installed-package.json" || [ ! -d "$out/node_modules/onnxruntime-node" ]; then
  cp "$here/package.json" "$out/package.json"
  # --ignore-scripts: onnxruntime-node's postinstall only downloads a CUDA add-on (and fails
  # without the network for it); the CPU runtime is in the package itself.
  (cd "$out" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error) ||
    skip "npm could not install onnxruntime-node (no access to the npm registry?)"
  cp "$here/package.json" "$out/installed-package.json"
fi
