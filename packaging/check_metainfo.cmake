# SPDX-License-Identifier: Apache-2.0
# ctest packaging.appstream: the AppStream metainfo validates (no network) and its newest release
# is the CMake project's version (which is also the .deb's version); the project licence is the
# one in LICENSE (Apache-2.0).
#   cmake -DAPPSTREAMCLI=... -DMETAINFO=... -DVERSION=... -P check_metainfo.cmake
cmake_minimum_required(VERSION 3.24)
execute_process(COMMAND ${APPSTREAMCLI} validate --no-net "${METAINFO}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "appstreamcli validate failed (${rc})")
endif()
file(READ "${METAINFO}" xml)
string(REGEX MATCH "<release version=\"([^\"]*)\"" first "${xml}")
if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
  message(FATAL_ERROR "${METAINFO}: the newest <release> is '${CMAKE_MATCH_1}', the project's version is ${VERSION}")
endif()
if(NOT xml MATCHES "<project_license>Apache-2.0</project_license>")
  message(FATAL_ERROR "${METAINFO}: no <project_license>Apache-2.0</project_license> (the licence in LICENSE)")
endif()
