# SPDX-License-Identifier: Apache-2.0
# ctest packaging.icons: the committed PNG icons were rendered from the current SVG
# (packaging/render-icons.sh records its sha256) and each PNG is the size its name says.
#   cmake -DRES=<resources dir> -DSIZES="16;22;..." -P check_icons.cmake
cmake_minimum_required(VERSION 3.24)
file(SHA256 "${RES}/percept.svg" now)
file(READ "${RES}/icons/percept.svg.sha256" recorded)
string(SUBSTRING "${recorded}" 0 64 recorded)
if(NOT now STREQUAL recorded)
  message(FATAL_ERROR "resources/percept.svg changed since the PNG icons were rendered: run packaging/render-icons.sh")
endif()
foreach(n IN LISTS SIZES)
  set(png "${RES}/icons/percept-${n}.png")
  if(NOT EXISTS "${png}")
    message(FATAL_ERROR "missing ${png}: run packaging/render-icons.sh")
  endif()
  # PNG signature (8 bytes), IHDR length + type (8), then width and height as 32-bit big-endian.
  file(READ "${png}" head LIMIT 24 HEX)
  string(SUBSTRING "${head}" 0 16 sig)
  string(SUBSTRING "${head}" 32 8 w)
  string(SUBSTRING "${head}" 40 8 h)
  math(EXPR w "0x${w}")
  math(EXPR h "0x${h}")
  if(NOT sig STREQUAL "89504e470d0a1a0a" OR NOT w EQUAL n OR NOT h EQUAL n)
    message(FATAL_ERROR "${png} is not a ${n}x${n} PNG (signature ${sig}, ${w}x${h})")
  endif()
endforeach()
