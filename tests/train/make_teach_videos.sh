#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The generated videos the teaching tests learn from (CTest fixture percept_teach_videos): three
# new "objects" (ffmpeg's testsrc, mandelbrot and life sources, 4 s at 10 fps: the last second
# of each is held back) and one of none of them (cellauto). Made once; without ffmpeg: exit 77
# (skipped) on a developer's machine, 1 under CI.
#
# usage: make_teach_videos.sh DIR
set -euo pipefail
out=$1
if ! command -v ffmpeg >/dev/null; then
  echo "make_teach_videos: ffmpeg is missing (Debian: ffmpeg)"
  if [ -n "${CI:-}" ]; then echo "make_teach_videos: CI is set: FAILED"; exit 1; fi
  exit 77
fi
mkdir -p "$out"
make() {
  [ -s "$out/$1.mp4" ] && return 0
  ffmpeg -loglevel error -y -f lavfi -i "$2" -t 4 -c:v libx264 -pix_fmt yuv420p "$out/$1.tmp.mp4"
  mv "$out/$1.tmp.mp4" "$out/$1.mp4"
}
make pattern "testsrc=size=320x240:rate=10"
make fractal "mandelbrot=size=320x240:rate=10"
make life "life=size=320x240:rate=10:mold=10:ratio=0.5:death_color=#203040:life_color=#e0c000"
make other "cellauto=size=320x240:rate=10:rule=110"
echo "make_teach_videos: $(ls "$out"/*.mp4 | wc -l) videos in $out"
