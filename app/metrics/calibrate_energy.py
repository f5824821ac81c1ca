#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Calibrates the energy estimate (app/metrics/energy_model.h) against a hardware counter.

On a machine where percept-bench measures energy (RAPL readable under /sys/class/powercap, or
an NVIDIA GPU with NVML), runs `percept-bench --compare cpu,vulkan --model all --json` and, for
every run the counter measured, puts the measured energy per inference beside the estimate for
the same runs. It then fits the estimate's coefficients by least squares (non-negative):
  GPU:  E = FLOPs x a + bytes moved x b + seconds x P_static   (a, b in pJ; P_static in W)
  CPU:  E = CPU seconds x W_core + seconds x P_static           (RAPL package)
and prints a Markdown table (measured vs estimated, then with the fitted coefficients) and the
environment overrides that apply them (PERCEPT_GPU_PJ_PER_FLOP, PERCEPT_GPU_PJ_PER_BYTE,
PERCEPT_CPU_WATTS_PER_CORE). The static term is reported, not applied: the app's estimate has
no idle term (NVML and RAPL count the idle power of the whole device while the inference runs).

  app/metrics/calibrate_energy.py build/inference/tools/percept-bench [--runs 30] [--threads N]

Exit status 2 when nothing was measured (no readable counter here: the estimate cannot be
calibrated on this machine, which is what a VM without RAPL shows).
"""
import argparse
import json
import subprocess
import sys

import numpy as np


def nnls(a, y):
    """Least squares with non-negative coefficients (tiny problems: drop negative columns)."""
    cols = list(range(a.shape[1]))
    while True:
        x, *_ = np.linalg.lstsq(a[:, cols], y, rcond=None)
        if (x >= 0).all() or len(cols) == 1:
            out = np.zeros(a.shape[1])
            out[cols] = np.maximum(x, 0)
            return out
        cols.pop(int(np.argmin(x)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench", help="path to percept-bench")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: all)")
    ap.add_argument("--model", default="all")
    args = ap.parse_args()
    cmd = [args.bench, "--compare", "cpu,vulkan", "--model", args.model, "--runs", str(args.runs), "--json", "--no-opencv"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        m = json.loads(line)
        for b in m.get("backends", []):
            if "refused" in b or not b["energy"]["measured"]:
                continue
            rows.append(dict(model=m["model"], backend=b["backend"], device=b["device"], source=b["energy"]["source"],
                             measured=b["energy"]["joules_per_inference"], estimated=b["energy"]["estimated_joules"],
                             estimate=b["energy"]["estimate"], seconds=b["ms"]["median"] * 1e-3,
                             cpu_seconds=b["cpu_ms_per_inference"] * 1e-3, flops=b["flops"], bytes=b["bytes_moved"]))
    if not rows:
        print("no energy was measured on this machine (no readable RAPL counter, no NVML): nothing to calibrate")
        return 2

    print("| model | backend | device | measured (mJ) | estimated (mJ) | estimated / measured |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['backend']} | {r['device']} | {r['measured'] * 1e3:.2f} | {r['estimated'] * 1e3:.2f} | "
              f"{r['estimated'] / r['measured']:.2f} |")
    print()
    gpu = [r for r in rows if r["estimate"].startswith("FLOPs")]
    cpu = [r for r in rows if r["estimate"].startswith("CPU time")]
    if gpu:
        a = np.array([[r["flops"] * 1e-12, r["bytes"] * 1e-12, r["seconds"]] for r in gpu])
        y = np.array([r["measured"] for r in gpu])
        pj_flop, pj_byte, static = nnls(a, y)
        fit = a @ np.array([pj_flop, pj_byte, static])
        print(f"GPU ({gpu[0]['source']}): {pj_flop:.2f} pJ/FLOP, {pj_byte:.1f} pJ/byte, static {static:.1f} W "
              f"(fit error median {np.median(np.abs(fit - y) / y) * 100:.0f} %)")
        print(f"  without the static term: PERCEPT_GPU_PJ_PER_FLOP={pj_flop:.2f} PERCEPT_GPU_PJ_PER_BYTE={pj_byte:.1f}")
    if cpu:
        a = np.array([[r["cpu_seconds"], r["seconds"]] for r in cpu])
        y = np.array([r["measured"] for r in cpu])
        w_core, static = nnls(a, y)
        fit = a @ np.array([w_core, static])
        print(f"CPU ({cpu[0]['source']}): {w_core:.2f} W per busy core, static {static:.1f} W "
              f"(fit error median {np.median(np.abs(fit - y) / y) * 100:.0f} %)")
        print(f"  PERCEPT_CPU_WATTS_PER_CORE={w_core:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
