# SPDX-License-Identifier: Apache-2.0
# ctest packaging.copyright: the Debian copyright file (DEP-5) names every file the programs
# carry that is not the project's own code: each reference photo compiled in from
# resources/calibration, the icons and the labels; and LICENSE is the Apache License 2.0 the
# copyright file and the metainfo name.
#   cmake -DROOT=<source dir> -P check_copyright.cmake
cmake_minimum_required(VERSION 3.24)
file(READ "${ROOT}/packaging/debian/copyright" copyright)
if(NOT copyright MATCHES "^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
  message(FATAL_ERROR "packaging/debian/copyright is not in the machine-readable format (DEP-5)")
endif()
file(GLOB photos RELATIVE "${ROOT}" "${ROOT}/resources/calibration/*.jpg")
set(needed ${photos} resources/icons/* resources/percept.svg models/labels/imagenet_synset_words.txt)
foreach(f IN LISTS needed)
  string(FIND "${copyright}" "${f}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "packaging/debian/copyright does not list ${f} (with its licence)")
  endif()
endforeach()
# Every licence a Files paragraph names has its text (or where to find it) somewhere: a
# "License: X" line followed by an indented body, inline or in a stand-alone paragraph.
string(REGEX MATCHALL "\nLicense: [^\n]+" used "${copyright}")
list(REMOVE_DUPLICATES used)
foreach(l IN LISTS used)
  string(REPLACE "." "\\." pattern "${l}")
  if(NOT copyright MATCHES "${pattern}\n [^\n]")
    message(FATAL_ERROR "packaging/debian/copyright: no text for '${l}'")
  endif()
endforeach()
file(READ "${ROOT}/LICENSE" license)
if(NOT license MATCHES "Apache License\n +Version 2.0, January 2004")
  message(FATAL_ERROR "LICENSE is not the Apache License 2.0")
endif()
list(LENGTH photos n)
message(STATUS "copyright: ${n} reference photos, the icons and the labels listed; LICENSE is Apache-2.0")
