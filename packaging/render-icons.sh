#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Renders resources/percept.svg into the PNG sizes the hicolor theme wants and records the SVG's
# sha256 beside them. Run it after changing the SVG (needs rsvg-convert, from librsvg2-bin);
# the ctest packaging.icons fails while the recorded sha256 differs from the SVG's.
#
# The PNGs are committed rather than rendered at build time: they are a few kB, the build then
# needs no SVG renderer (nor does a Flatpak or Android build), and the package is byte-for-byte
# the same whichever librsvg the build machine has.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/resources/icons"
mkdir -p "$out"
for n in 16 22 24 32 48 64 128 256 512; do
  rsvg-convert -w "$n" -h "$n" "$top/resources/percept.svg" -o "$out/percept-$n.png"
done
(cd "$top/resources" && sha256sum percept.svg) > "$out/percept.svg.sha256"
ls -l "$out"
