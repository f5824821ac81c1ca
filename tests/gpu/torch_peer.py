#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""PyTorch, the GPU peer of percept-bench (tests/gpu/run_gpu_bench.sh runs it on the GPU machine).

  torch_peer.py export --out DIR [--models a,b]
      writes DIR/<model>.onnx: torchvision's architecture with random weights (seeded), input
      [1,3,224,224], opset 17, so Percept runs exactly the network PyTorch is timed on; and
      DIR/<model>.input.npy / .torch.npy, an input and PyTorch's fp32 output on it (percept-bench
      --input/--reference: how close each of our precisions comes, and whether top-1 holds).
  torch_peer.py time --model NAME --runs R [--warmup W]
      prints one JSON line: median/min/max ms per inference (batch 1, 224x224, fp32 with TF32
      allowed, as the issue's figures were taken) for eager PyTorch and for a CUDA graph
      replay of the same model, each timed with CUDA events around every single inference
      (the GPU's time, input and output staying in device memory); and, as percept-bench
      times its own runs, the CUDA graph end to end on the host's clock: a host tensor copied
      into the graph's input, the replay, the output copied back to the host.

Random weights are as good as trained ones for timing; the models are built the same way in
both commands (torch.manual_seed before construction), and the exported file is checked
against PyTorch's output on the GPU before it is written.
"""
import argparse
import json
import os
import statistics
import sys
import time

# The models of issue 10's GPU table, torchvision names (percept-bench names them the same).
MODELS = ["squeezenet1_1", "mobilenet_v2", "resnet18", "efficientnet_b0", "resnet50", "convnext_tiny", "vit_b_16"]


def build(name):
    import torch
    import torchvision

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "zoo"))
    from export_zoo import make_informative

    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None)
    # As the zoo's export does: torchvision's own initialisation leaves parts that cannot be
    # wrong (ViT's head is zeros, so every logit would be 0 and the agreement column would say
    # nothing); random values there make the output depend on the whole network.
    make_informative(model, torch.Generator().manual_seed(0))
    return model.eval()


def export(out, names):
    import numpy as np
    import torch

    os.makedirs(out, exist_ok=True)
    for name in names:
        path = os.path.join(out, name + ".onnx")
        if os.path.exists(path):
            print(f"{name}: {path} exists", flush=True)
            continue
        model = build(name)
        x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
        kwargs = dict(input_names=["input"], output_names=["logits"], opset_version=17)
        try:  # the TorchScript exporter writes the plain op set the engine reads
            torch.onnx.export(model, (x,), path + ".tmp", dynamo=False, **kwargs)
        except TypeError:  # a torch without the dynamo switch
            torch.onnx.export(model, (x,), path + ".tmp", **kwargs)
        # The file holds the same network: ONNX Runtime (there on the GPU machine) against torch.
        try:
            import onnxruntime as ort

            got = ort.InferenceSession(path + ".tmp", providers=["CPUExecutionProvider"]).run(None, {"input": x.numpy()})[0]
            with torch.no_grad():
                want = model(x).numpy()
            rel = float(np.abs(got - want).max() / np.abs(want).max())
            if rel > 1e-3:
                sys.exit(f"{name}: the exported file differs from PyTorch by {rel:.2e} x max|output|")
            print(f"{name}: exported, ONNX Runtime vs PyTorch {rel:.1e} x max|output|", flush=True)
        except ImportError:
            print(f"{name}: exported (no onnxruntime to check it)", flush=True)
        np.save(os.path.join(out, name + ".input.npy"), x.numpy())
        with torch.no_grad():
            np.save(os.path.join(out, name + ".torch.npy"), model(x).numpy())
        os.replace(path + ".tmp", path)


def time_model(name, runs, warmup):
    import torch

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    model = build(name).to(dev)
    x = torch.randn(1, 3, 224, 224, device=dev, generator=torch.Generator(device=dev).manual_seed(1))

    def timed(fn):
        for _ in range(warmup):
            fn()
        torch.cuda.synchronize()
        ms = []
        for _ in range(runs):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            ms.append(start.elapsed_time(end))
        return {"median": statistics.median(ms), "min": min(ms), "max": max(ms)}

    result = {"model": name, "runs": runs, "device": torch.cuda.get_device_name(), "torch": torch.__version__}
    with torch.inference_mode():
        result["eager_ms"] = timed(lambda: model(x))
        # CUDA graph: captured once on a side stream after warm-up, replayed per inference.
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                model(x)
        torch.cuda.current_stream().wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        static_x = x.clone()
        with torch.cuda.graph(graph):
            static_out = model(static_x)
        result["cuda_graph_ms"] = timed(graph.replay)
        # End to end, what an application feeding camera frames waits for (percept-bench's
        # figure for Percept): pageable host memory in and out, host clock.
        x_host = x.cpu()

        def end_to_end():
            static_x.copy_(x_host)
            graph.replay()
            return static_out.cpu()  # synchronises

        for _ in range(warmup):
            end_to_end()
        wall = []
        for _ in range(runs):
            t0 = time.perf_counter()
            end_to_end()
            wall.append((time.perf_counter() - t0) * 1e3)
        result["cuda_graph_end_to_end_ms"] = {"median": statistics.median(wall), "min": min(wall), "max": max(wall)}
        graph.replay()
        torch.cuda.synchronize()
        result["top1"] = int(static_out.argmax())
    print(json.dumps(result), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--out", required=True)
    e.add_argument("--models", default=",".join(MODELS))
    t = sub.add_parser("time")
    t.add_argument("--model", required=True, choices=MODELS)
    t.add_argument("--runs", type=int, default=300)
    t.add_argument("--warmup", type=int, default=30)
    a = ap.parse_args()
    if a.cmd == "export":
        export(a.out, [m for m in a.models.split(",") if m])
    else:
        time_model(a.model, a.runs, a.warmup)


if __name__ == "__main__":
    main()
