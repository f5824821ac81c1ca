# SPDX-License-Identifier: Apache-2.0
# CMake toolchain for the arm64 (aarch64) cross build on an amd64 Debian 12 machine:
#   packaging/arm64/make-sysroot.sh build-arm64/sysroot
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=packaging/arm64/aarch64-linux-gnu.cmake \
#         -DPERCEPT_ARM64_SYSROOT=$PWD/build-arm64/sysroot
# The compiler is Debian's cross GCC (crossbuild-essential-arm64); headers, libraries and the
# packages' CMake configs come from the sysroot; programs run at build time (protoc, Qt's moc
# and rcc, glslc) are the host's, of the same Debian versions. Test programs run through
# qemu-aarch64-static with the sysroot as the library root (CMAKE_CROSSCOMPILING_EMULATOR:
# ctest and gtest_discover_tests use it), no binfmt_misc registration needed.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(PERCEPT_ARM64_SYSROOT "" CACHE PATH "arm64 sysroot made by packaging/arm64/make-sysroot.sh")
if(NOT PERCEPT_ARM64_SYSROOT AND DEFINED ENV{PERCEPT_ARM64_SYSROOT})
  set(PERCEPT_ARM64_SYSROOT "$ENV{PERCEPT_ARM64_SYSROOT}" CACHE PATH "" FORCE)
endif()
if(NOT EXISTS "${PERCEPT_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/cmake/Qt6")
  message(FATAL_ERROR "PERCEPT_ARM64_SYSROOT ('${PERCEPT_ARM64_SYSROOT}') is not an arm64 sysroot: "
                      "make one with packaging/arm64/make-sysroot.sh DIR and pass -DPERCEPT_ARM64_SYSROOT=DIR")
endif()
# try_compile projects get the variable too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PERCEPT_ARM64_SYSROOT)
set(CMAKE_SYSROOT "${PERCEPT_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${PERCEPT_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Qt's host tools (moc, rcc, uic) from the host's Qt of the same version.
set(QT_HOST_PATH /usr)
set(QT_HOST_PATH_CMAKE_DIR /usr/lib/x86_64-linux-gnu/cmake)

find_program(PERCEPT_QEMU_AARCH64 qemu-aarch64-static qemu-aarch64)
if(PERCEPT_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${PERCEPT_QEMU_AARCH64};-L;${PERCEPT_ARM64_SYSROOT}")
endif()
