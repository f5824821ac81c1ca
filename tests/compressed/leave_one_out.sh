#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Held-out check of percept-compress --calibrate on the shared photos: for each photo P of
# IMAGES, calibrate on the other photos of IMAGES plus resources/calibration's crops that are
# not of P, then check the compressed model on P alone. Prints each photo's largest probability
# difference and the photos whose top-1 changed. Not a ctest (about 15 s per photo for
# SqueezeNet at --target-ratio 10); README "Compressed models" quotes its figures.
#   usage: tests/compressed/leave_one_out.sh BUILD MODEL IMAGES [percept-compress options]
#   e.g.   tests/compressed/leave_one_out.sh build squeezenet1.1 ../shared/images --target-ratio 10
set -euo pipefail
build=$1 model=$2 images=$3
shift 3
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$build/inference/tools/percept-compress"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kept=0 total=0 flips="" diffs="" size=""
for p in "$images"/*.png "$images"/*.jpg "$images"/*.jpeg; do
  [ -e "$p" ] || continue
  stem=$(basename "${p%.*}")
  rm -rf "$tmp/cal" "$tmp/one" && mkdir -p "$tmp/cal" "$tmp/one"
  for q in "$images"/*.png "$images"/*.jpg "$images"/*.jpeg; do
    [ -e "$q" ] && [ "$q" != "$p" ] && ln -s "$(realpath "$q")" "$tmp/cal/"
  done
  for q in "$root"/resources/calibration/*.jpg; do
    [ "$(basename "${q%.*}")" != "$stem" ] && ln -s "$q" "$tmp/cal/crop_$(basename "$q")"
  done
  ln -s "$(realpath "$p")" "$tmp/one/"
  out=$("$bin" --model "$model" --calibrate "$tmp/cal" --check "$tmp/one" --out "$tmp/m.pcz" "$@" 2>&1) || { echo "$out"; exit 1; }
  size=$(echo "$out" | grep -o "[0-9.]*x smaller" || true)
  line=$(echo "$out" | grep "check on")
  k=$(echo "$line" | sed -E 's/.*top-1 kept ([0-9]+)\/.*/\1/')
  diffs="$diffs $stem:$(echo "$line" | sed -E 's/.*difference ([0-9.]+).*/\1/')"
  kept=$((kept + k)) total=$((total + 1))
  [ "$k" = 1 ] || flips="$flips $(echo "$out" | grep "TOP-1 CHANGED" | sed -E 's/ +/ /g; s/ top-5.*//')"
done
echo "max |dprob| per photo:$diffs"
echo "$model $*: $size; held out, top-1 kept on $kept of $total photos${flips:+; changed:$flips}"
