# SPDX-License-Identifier: Apache-2.0
# Sourced by the tests/gpu/run_*.sh scripts on the GPU machine (repository root): brings the
# Vulkan loader and glvnd in, as the device README says (only into / when the image has none:
# the NVIDIA ICD, libGLX_nvidia, needs glvnd's libGLdispatch; without it the loader reports
# "Could not get 'vkCreateInstance' via 'vk_icdGetInstanceProcAddr'" and finds no driver),
# points the loader at NVIDIA's ICD, and unpacks the bundle of tests/gpu/pack.sh into
# /tmp/percept (its programs, and their shared libraries in /tmp/percept/lib: LD_LIBRARY_PATH
# for those programs only, not for PyTorch).
[ -f .gpu/bundle.tar.xz ] || { echo "$0: .gpu/bundle.tar.xz is missing: run tests/gpu/pack.sh here and carry .gpu" >&2; exit 1; }
if ! ldconfig -p | grep -q libvulkan.so.1 || ! ldconfig -p | grep -q libGLdispatch.so.0; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
mkdir -p /tmp/percept && tar -xJf .gpu/bundle.tar.xz -C /tmp/percept
