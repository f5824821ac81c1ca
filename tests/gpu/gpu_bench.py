#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Issue 10's GPU table, measured on the GPU machine (run_gpu_bench.sh sets it up and calls this).

For each model (torchvision's architecture, random weights, 224x224, batch 1; exported to ONNX
by torch_peer.py so both engines run the same network), in ROUNDS interleaved rounds, each round
running in turn:
  percept-bench --backend vulkan            (fp32)
  percept-bench --backend vulkan --fp16     (fp16 storage, fp32 arithmetic)
  percept-bench --backend vulkan --fp16-arith  (fp16 storage and arithmetic, where the device has it)
  the same with PERCEPT_VULKAN_COOPMAT=on    (fp16 products on the tensor cores, where it has them)
  torch_peer.py time                        (PyTorch eager and CUDA-graph replay, fp32 + TF32)
each with RUNS timed inferences after a warm-up. Per configuration the table gives the median of
the per-round medians, and ours / CUDA graphs as the median of the per-round ratios with their
spread; also the dispatches and barriers one Percept run submits, the agreement of fp16 with
fp32 (top-1), and the machine: GPU, driver, clocks before and after.

Every raw result is kept as one JSON line in OUT/results.jsonl; the table goes to stdout and
OUT/table.md. Options: see --help.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# (name, percept-bench flags, environment)
CONFIGS = [("vulkan fp32", [], {}), ("vulkan fp16", ["--fp16"], {}), ("vulkan fp16 arith", ["--fp16-arith"], {}),
           ("vulkan fp16 tensor cores", ["--fp16-arith"], {"PERCEPT_VULKAN_COOPMAT": "on"})]
# fp32 once more without the per-layer GPU timestamps, for the end-to-end comparison: PyTorch's
# graph replay is timed without any profiling either.
PLAIN = ("vulkan fp32 no timestamps", ["--no-timestamps"], {})


def sh(cmd, timeout=None, env=None):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout} s"
    except OSError as e:  # no such program (nvidia-smi off a GPU machine)
        return 127, "", str(e)
    return r.returncode, r.stdout, r.stderr


def machine():
    code, out, _ = sh(["nvidia-smi", "--query-gpu=name,driver_version,clocks.sm,clocks.mem,clocks.max.sm,temperature.gpu,power.draw",
                       "--format=csv,noheader"])
    return out.strip() if code == 0 else "nvidia-smi unavailable"


def json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return out


FP16_MIN_NORMAL = 6.1e-5


def reference_peak(model_dir, model):
    """max |PyTorch's output| for the model (torch_peer.py export wrote it), or None."""
    try:
        import numpy as np

        return float(np.abs(np.load(os.path.join(model_dir, model + ".torch.npy"))).max())
    except (ImportError, OSError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="the percept-bench executable")
    ap.add_argument("--bench-libs", default="", help="its shared libraries (LD_LIBRARY_PATH for percept-bench only: not for PyTorch)")
    ap.add_argument("--models", default="squeezenet1_1,mobilenet_v2,resnet18,efficientnet_b0,resnet50,convnext_tiny,vit_b_16")
    ap.add_argument("--model-dir", required=True, help="where the ONNX exports go (made once)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--batch", type=int, default=0, help="also the throughput mode at this batch (percept-bench --batch)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--from-results", default="", help="no measuring: the tables from an earlier run's results.jsonl (one cut short)")
    a = ap.parse_args()
    models = [m for m in a.models.split(",") if m]
    bench_env = dict(os.environ)
    if a.bench_libs:
        bench_env["LD_LIBRARY_PATH"] = a.bench_libs + (":" + bench_env["LD_LIBRARY_PATH"] if bench_env.get("LD_LIBRARY_PATH") else "")
    os.makedirs(a.out, exist_ok=True)
    rows = {}  # (model, config) -> list of per-round dicts
    if a.from_results:
        for line in open(a.from_results):
            r = json.loads(line)
            rows.setdefault((r["model"], r["config"]), []).append(r["data"])
        models = [m for m in models if (m, "vulkan fp32") in rows]
        a.rounds = 0
        before = after = "(from " + a.from_results + ")"
    else:
        before = machine()
    print("machine before:", before, flush=True)
    results = open(os.path.join(a.out, "results.jsonl"), "a")

    if not a.from_results:
        code, out, err = sh([sys.executable, os.path.join(HERE, "torch_peer.py"), "export", "--out", a.model_dir, "--models", ",".join(models)])
        print(out + err, flush=True)
        if code != 0:
            sys.exit("export failed")

    def record(model, config, rnd, data):
        rows.setdefault((model, config), []).append(data)
        results.write(json.dumps({"model": model, "config": config, "round": rnd, "data": data}) + "\n")
        results.flush()

    for rnd in range(a.rounds):
        for model in models:
            path = os.path.join(a.model_dir, model + ".onnx")
            for config, flags, extra_env in CONFIGS + [PLAIN]:
                base = os.path.join(a.model_dir, model)
                cmd = [a.bench, "--model", path, "--input", base + ".input.npy", "--reference", base + ".torch.npy", "--backend", "vulkan",
                       "--no-opencv", "--json", "--layers", "0", "--runs", str(a.runs), "--warmup", "20"] + flags
                t0 = time.time()
                code, out, err = sh(cmd, timeout=600, env={**bench_env, **extra_env})
                lines = json_lines(out)
                if code != 0 or not lines:
                    record(model, config, rnd, {"error": (err or out).strip()[-400:]})
                else:
                    record(model, config, rnd, lines[-1])
                print(f"round {rnd} {model:16s} {config:18s} {time.time() - t0:6.1f} s", flush=True)
            code, out, err = sh([sys.executable, os.path.join(HERE, "torch_peer.py"), "time", "--model", model, "--runs", str(a.runs)], timeout=600)
            lines = json_lines(out)
            record(model, "torch", rnd, lines[-1] if code == 0 and lines else {"error": (err or out).strip()[-400:]})
            print(f"round {rnd} {model:16s} torch", flush=True)
        if a.batch > 1:
            for model in models:
                path = os.path.join(a.model_dir, model + ".onnx")
                for config, flags, _ in CONFIGS[:2]:
                    code, out, err = sh([a.bench, "--model", path, "--backend", "vulkan", "--json", "--batch", str(a.batch),
                                         "--runs", str(max(5, a.runs // 10)), "--warmup", "3"] + flags, timeout=600, env=bench_env)
                    lines = json_lines(out)
                    record(model, config + f" batch {a.batch}", rnd, lines[-1] if code == 0 and lines else {"error": (err or out).strip()[-400:]})
    if not a.from_results:
        after = machine()

    def med(vals):
        vals = [v for v in vals if v is not None]
        return statistics.median(vals) if vals else None

    def ours_ms(d):
        return d.get("ms", {}).get("median") if "error" not in d else None

    lines = []
    lines.append(f"GPU machine: {before}  (after: {after})")
    lines.append(f"{a.rounds} interleaved rounds x {a.runs} runs; batch 1, 224x224, random weights; medians of per-round medians, ms")
    lines.append("")
    names = [c[0].replace("vulkan ", "") for c in CONFIGS]
    head = ("| model | " + " | ".join("ours " + n for n in names) + " | PyTorch CUDA graphs | PyTorch eager | " +
            " | ".join(n + " / graphs" for n in names) + " | dispatches / barriers | vs PyTorch's output: " + ", ".join(names) + " |")
    lines.append(head)
    lines.append("|" + "---|" * (head.count("|") - 1))

    def fmt(v, digits=3):
        return "-" if v is None else f"{v:.{digits}f}"

    for model in models:
        torch_rounds = rows.get((model, "torch"), [])
        graphs = [d.get("cuda_graph_ms", {}).get("median") if "error" not in d else None for d in torch_rounds]
        eager = [d.get("eager_ms", {}).get("median") if "error" not in d else None for d in torch_rounds]
        cells = [model]
        ratios = []
        cmds = "-"
        for config, _, _ in CONFIGS:
            rs = rows.get((model, config), [])
            ours = [ours_ms(d) for d in rs]
            if not rs:
                cells.append("-")  # not measured (results of a run without this configuration)
            else:
                cells.append(fmt(med(ours)) if any(v is not None for v in ours) else "refused: " + next((d["error"][:60] for d in rs if "error" in d), "?"))
            per_round = [o / g for o, g in zip(ours, graphs) if o is not None and g]
            ratios.append(f"{statistics.median(per_round):.2f} ({min(per_round):.2f}..{max(per_round):.2f})" if per_round else "-")
            if config == "vulkan fp32":
                c = next((d.get("commands") for d in rs if d.get("commands")), None)
                if c:
                    cmds = f"{c['dispatches']} / {c['barriers']}"
        agree = []
        peak = reference_peak(a.model_dir, model)
        for config, _, _ in CONFIGS:
            ref = next((d.get("references", {}).get("reference") for d in rows.get((model, config), []) if "references" in d), None)
            if ref and config != "vulkan fp32" and peak is not None and peak < FP16_MIN_NORMAL:
                # Random weights can leave every logit far below fp16's range (torchvision's
                # MobileNetV2: ~3e-9, EfficientNet-B0: ~3e-14): fp16 storage flushes them, and
                # its agreement says nothing about the kernels.
                agree.append(f"n/a (outputs <= {peak:.0e}, below fp16's range)")
                continue
            agree.append(f"{ref['max_rel_diff']:.0e} {'same' if ref['same_top1'] else 'OTHER'} top-1" if ref else "-")
        cells += [fmt(med(graphs)), fmt(med(eager))] + ratios + [cmds, ", ".join(agree)]
        lines.append("| " + " | ".join(cells) + " |")
    # The same time measured two ways on both sides. On the GPU: our nodes between timestamps
    # (percept-bench's gpu_ms; input already uploaded, output not yet downloaded) against CUDA
    # events around a graph replay, which is how PyTorch's column above is taken. End to end on
    # the host's clock: a host tensor in, the output back on the host, as percept-bench times
    # Percept's runs above.
    lines.append("")
    lines.append("Same quantity on both sides, fp32, ms (median of per-round medians; ratio: median of per-round ratios [range]):")
    head2 = ("| model | ours on the GPU (timestamps) | CUDA graph (events) | ratio | ours upload + download | "
             "ours end to end | ours end to end, no timestamps | CUDA graph end to end | ratio, no timestamps |")
    lines.append(head2)
    lines.append("|" + "---|" * (head2.count("|") - 1))

    def ratio_cell(xs, ys):
        per_round = [x / y for x, y in zip(xs, ys) if x and y]
        return f"{statistics.median(per_round):.2f} [{min(per_round):.2f}-{max(per_round):.2f}]" if per_round else "-"

    for model in models:
        torch_rounds = rows.get((model, "torch"), [])
        rs = rows.get((model, "vulkan fp32"), [])
        gpu = [d.get("gpu_ms") if "error" not in d else None for d in rs]
        copy = [d.get("gpu_copy_ms") if "error" not in d else None for d in rs]
        wall = [ours_ms(d) for d in rs]
        plain = [ours_ms(d) for d in rows.get((model, PLAIN[0]), [])]
        events = [d.get("cuda_graph_ms", {}).get("median") if "error" not in d else None for d in torch_rounds]
        e2e = [d.get("cuda_graph_end_to_end_ms", {}).get("median") if "error" not in d else None for d in torch_rounds]
        lines.append("| " + " | ".join([model, fmt(med(gpu)), fmt(med(events)), ratio_cell(gpu, events), fmt(med(copy)), fmt(med(wall)),
                                        fmt(med(plain)), fmt(med(e2e)), ratio_cell(plain, e2e)]) + " |")
    # Session creation (issue 10: < 100 ms with a warm pipeline cache), fp32, the last round's
    # (the cache is warm from the earlier ones), by phase (Stats::createPhases).
    lines.append("")
    lines.append("Session creation, fp32, last round (pipeline cache warm), ms: total = phases")
    for model in models:
        rs = [d for d in rows.get((model, "vulkan fp32"), []) if "error" not in d and "session_create_ms" in d]
        if rs:
            d = rs[-1]
            phases = ", ".join(f"{k} {v:.1f}" for k, v in d.get("session_create_phases_ms", {}).items())
            lines.append(f"  {model:16s} {d['session_create_ms']:7.1f} = {phases}")
    if a.batch > 1:
        lines.append("")
        lines.append(f"Throughput, batch {a.batch} (images/s; ratio against batch 1 of the same engine, interleaved):")
        for model in models:
            for config, _, _ in CONFIGS[:2]:
                rs = [d for d in rows.get((model, config + f" batch {a.batch}"), []) if "error" not in d]
                if rs:
                    ips = med([d["images_per_s"] for d in rs])
                    ratio = med([d["ratio_vs_batch1"]["median"] for d in rs])
                    lines.append(f"  {model:16s} {config:12s} {ips:9.1f} images/s   {ratio:.2f}x batch 1")
    table = "\n".join(lines)
    print("\n" + table)
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
