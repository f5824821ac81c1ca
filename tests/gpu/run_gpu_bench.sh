#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 10's GPU table on the GPU machine (NVIDIA H200, the device tool), unattended: Percept's
# Vulkan backend (fp32, fp16 storage, fp16 arithmetic) against PyTorch with CUDA graphs and
# eager on torchvision's versions of the same models (random weights, 224x224, batch 1),
# interleaved round by round (tests/gpu/gpu_bench.py). Prepare with tests/gpu/pack.sh on the
# development machine, then (device tool, repository root):
#   run  carry=[".gl", ".gpu"]  timeout_s=600  command="bash tests/gpu/run_gpu_bench.sh --rounds 3 --runs 100"
# A call may run at most 10 minutes: split the models over calls with --models (the ONNX
# exports are made in each call's fresh machine again, a few seconds each), e.g.
#   --models squeezenet1_1,mobilenet_v2,resnet18,efficientnet_b0   then   --models resnet50,convnext_tiny,vit_b_16
# Add --batch 8 for the throughput mode. The table and every raw result land in $OUT (returned
# by the device tool), or in /tmp/percept-gpu-out elsewhere.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/gpu/vulkan_env.sh
out=${OUT:-/tmp/percept-gpu-out}
nvidia-smi || true
# Leave NVLink multicast off (the device README): nothing here uses NCCL, but keep the variables.
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 PYTHONUNBUFFERED=1
python3 tests/gpu/gpu_bench.py --bench /tmp/percept/percept-bench --bench-libs /tmp/percept/lib \
  --model-dir /tmp/percept-models --out "$out" "$@"
