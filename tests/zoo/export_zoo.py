#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Exports the model zoo: today's torchvision classifiers, with random weights, as ONNX.

For each zoo entry it writes into the output directory (never into git):
  <id>.onnx        the model, input "input" [1,3,224,224], output "logits" [1,1000]
  <id>.input.npy   the input: a real photograph, resized/cropped to 224, ImageNet mean/std
  <id>.torch.npy   PyTorch's output on that input (the reference)
  <id>.json        what was made and how: opset, ops used, sizes, times, photo, checks

No weights are downloaded: the networks are built with random weights, then made
*informative*, because a freshly initialised network can pass any comparison while testing
nothing: a classifier whose output is only its bias, blocks scaled by 1e-6 (ConvNeXt's layer
scale), zero heads (ViT), BatchNorm statistics (mean 0, variance 1) that do not match the
activations so they explode or vanish. So every normalisation gets random affine parameters,
every all-zero parameter gets random values, scales that hide a branch are raised, and then
BatchNorm's running statistics are set from real activations (a few calibration batches of
augmented photographs with only the BatchNorm layers in training mode). Then it CHECKS that
the output depends on the input: the chosen photograph's output must differ from every other
photograph's by far more than the test's tolerance, and its top-1 must win by a margin the
tolerance cannot flip. A model failing that is an export failure, not a silent weak test.

Entries are skipped when their files exist and were made by this same script with the same
torch/torchvision/onnx versions (the key in <id>.json), so re-running is cheap.

usage: export_zoo.py --out DIR [--images DIR] [--only ID[,ID...]] [--list]
"""
import argparse
import collections
import hashlib
import json
import os
import sys
import time
import warnings
import zlib

import numpy as np

# (architecture, opset). Opset 13 for all; 17 for the few whose export changes with it:
# LayerNormalization (ConvNeXt, Swin) and HardSwish (MobileNetV3) appear as single ops there.
# ViT-B/16 (346 MB) is exported once: its LayerNorms are covered at 17 by ConvNeXt and Swin.
ZOO = [
    ("mobilenet_v2", 13),
    ("mobilenet_v3_small", 13),
    ("mobilenet_v3_small", 17),
    ("mobilenet_v3_large", 13),
    ("efficientnet_b0", 13),
    ("regnet_y_400mf", 13),
    ("shufflenet_v2_x1_0", 13),
    ("mnasnet1_0", 13),
    ("resnet50", 13),
    ("densenet121", 13),
    ("convnext_tiny", 13),
    ("convnext_tiny", 17),
    ("swin_t", 13),
    ("swin_t", 17),
    ("vit_b_16", 13),
]

# The C++ test's tolerance is 1e-4 x max|output|; the checks below keep far away from it.
MIN_REL_L2_TO_OTHER_PHOTOS = 1e-2    # 100x the tolerance
MIN_TOP1_MARGIN = 2e-3               # 20x the tolerance, relative to max|output|
CALIBRATION_BATCHES, CALIBRATION_BATCH = 3, 8


def entry_id(arch, opset):
    return f"{arch}_op{opset}"


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_photo(path, size=224, shorter=256):
    """The usual ImageNet evaluation transform: shorter side to 256 (bilinear), centre crop
    224, RGB in [0,1], minus mean, over std; NCHW float32."""
    from PIL import Image
    img = Image.open(path).convert("RGB")
    w, h = img.size
    s = shorter / min(w, h)
    img = img.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BILINEAR)
    w, h = img.size
    left, top = (w - size) // 2, (h - size) // 2
    img = img.crop((left, top, left + size, top + size))
    x = np.asarray(img, dtype=np.float32) / 255.0
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    return ((x - mean) / std).transpose(2, 0, 1)[None].copy()


def calibration_batches(photos, gen):
    """Augmented views of the photographs (random crop of 50-100% of the side, random flip),
    normalised like the test input: realistic activation statistics for BatchNorm."""
    import torch
    import torch.nn.functional as F
    full = [torch.from_numpy(load_photo(p, size=288, shorter=288)) for p in photos]
    for _ in range(CALIBRATION_BATCHES):
        views = []
        for _ in range(CALIBRATION_BATCH):
            x = full[int(torch.randint(len(full), (1,), generator=gen))]
            side = int(torch.randint(144, 289, (1,), generator=gen))
            oy, ox = (int(torch.randint(288 - side + 1, (1,), generator=gen)) for _ in range(2))
            v = F.interpolate(x[:, :, oy:oy + side, ox:ox + side], size=(224, 224), mode="bilinear", align_corners=False)
            if float(torch.rand(1, generator=gen)) < 0.5:
                v = v.flip(3)
            views.append(v)
        yield torch.cat(views)


def make_informative(model, gen):
    """Random weights that make every part of the network matter (see the module comment)."""
    import torch
    import torch.nn as nn

    def uniform_(t, lo, hi):
        with torch.no_grad():
            t.copy_(torch.rand(t.shape, generator=gen) * (hi - lo) + lo)

    def normal_(t, std):
        with torch.no_grad():
            t.copy_(torch.randn(t.shape, generator=gen) * std)

    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)) and m.weight is not None:
            # Gamma away from 1 and beta away from 0, so an ignored affine part shows.
            uniform_(m.weight, 0.5, 1.5)
            uniform_(m.bias, -0.25, 0.25)
        elif isinstance(m, (nn.Conv2d, nn.Linear)):
            if float(m.weight.abs().max()) == 0.0:  # e.g. ViT's zero-initialised head
                normal_(m.weight, 1.0 / np.sqrt(m.weight[0].numel()))
            if m.bias is not None:
                normal_(m.bias, 0.05)
    for name, p in model.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        if leaf == "layer_scale":  # ConvNeXt: 1e-6 would hide every block
            uniform_(p, 0.2, 1.0)
        elif leaf == "relative_position_bias_table":  # Swin: std 0.02 would hide it
            normal_(p, 0.5)
        elif leaf in ("pos_embedding", "class_token"):  # ViT: zero / std 0.02
            normal_(p, 0.5)
        elif float(p.detach().abs().max()) == 0.0:
            normal_(p, 0.05)


def calibrate_batchnorm(model, photos, gen):
    """BatchNorm running statistics from real activations: only the BatchNorm layers train
    (cumulative average over the batches), so dropout and stochastic depth stay off."""
    import torch
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return 0
    model.eval()
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
        bn.train()
    with torch.no_grad():
        for batch in calibration_batches(photos, gen):
            model(batch)
    model.eval()
    return len(bns)


def rel_l2(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-30))


def choose_input(outputs, names):
    """The first photograph (in a fixed order) whose top-1 wins clearly and whose output is
    far from every other photograph's; raises when there is none."""
    notes = []
    for i, out in enumerate(outputs):
        scale = float(np.abs(out).max())
        top2 = np.sort(out.ravel())[-2:]
        margin = float(top2[1] - top2[0]) / max(scale, 1e-30)
        others = [rel_l2(out, o) for j, o in enumerate(outputs) if j != i]
        nearest = min(others)
        if margin >= MIN_TOP1_MARGIN and nearest >= MIN_REL_L2_TO_OTHER_PHOTOS:
            return i, margin, nearest
        notes.append(f"{names[i]}: top-1 margin {margin:.2e}, nearest other photo rel L2 {nearest:.2e}")
    raise RuntimeError("output does not depend enough on the input (need top-1 margin >= "
                       f"{MIN_TOP1_MARGIN} and rel L2 to every other photo >= {MIN_REL_L2_TO_OTHER_PHOTOS}): "
                       + "; ".join(notes))


def export_one(arch, opset, out_dir, photos, key):
    import onnx
    import torch
    import torchvision.models as tvm

    eid = entry_id(arch, opset)
    t0 = time.time()
    seed = zlib.crc32(arch.encode())  # the same network at every opset
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = getattr(tvm, arch)(weights=None)
    make_informative(model, gen)
    n_bn = calibrate_batchnorm(model, photos, gen)
    model.eval()
    t_init = time.time() - t0

    # Every photograph through the network: which one to test on, and is the output informative?
    inputs = [load_photo(p) for p in photos]
    with torch.no_grad():
        outs = model(torch.from_numpy(np.concatenate(inputs))).numpy()
    names = [os.path.basename(p) for p in photos]
    pick, margin, nearest = choose_input([o[None] for o in outs], names)
    x = inputs[pick]
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy().astype(np.float32)
    distinct_top1 = len(set(int(o.argmax()) for o in outs))

    onnx_path = os.path.join(out_dir, eid + ".onnx")
    t1 = time.time()
    with warnings.catch_warnings():  # the tracer's notes on torchvision's Python-side shape code
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.from_numpy(x), onnx_path + ".tmp", opset_version=opset,
                          input_names=["input"], output_names=["logits"], do_constant_folding=True)
    t_export = time.time() - t1
    proto = onnx.load(onnx_path + ".tmp")
    onnx.checker.check_model(proto)
    ops = collections.Counter(n.op_type for n in proto.graph.node)

    np.save(os.path.join(out_dir, eid + ".input.npy"), x)
    np.save(os.path.join(out_dir, eid + ".torch.npy"), ref)
    os.replace(onnx_path + ".tmp", onnx_path)
    meta = {
        "id": eid, "arch": arch, "opset": opset, "key": key, "seed": seed,
        "photo": names[pick], "top1": int(ref.argmax()), "top1_margin": margin,
        "nearest_other_photo_rel_l2": nearest, "distinct_top1_over_photos": distinct_top1,
        "batchnorms_calibrated": n_bn, "onnx_bytes": os.path.getsize(onnx_path),
        "nodes": len(proto.graph.node), "ops": dict(sorted(ops.items())),
        "seconds": {"init_and_calibrate": round(t_init, 2), "export": round(t_export, 2),
                    "total": round(time.time() - t0, 2)},
    }
    with open(os.path.join(out_dir, eid + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="output directory")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--images", default=os.path.join(here, "..", "..", "..", "shared", "images"))
    ap.add_argument("--only", default="", help="comma-separated entry ids")
    ap.add_argument("--list", action="store_true", help="print the entry ids and exit")
    args = ap.parse_args()
    ids = [entry_id(a, o) for a, o in ZOO]
    if args.list:
        print("\n".join(ids))
        return 0
    if not args.out:
        ap.error("--out is required")
    only = [s for s in args.only.split(",") if s]
    unknown = [s for s in only if s not in ids]
    if unknown:
        ap.error(f"unknown entries {unknown}; known: {ids}")

    import onnx
    import torch
    import torchvision
    torch.set_num_threads(os.cpu_count() or 1)
    photos = sorted(os.path.join(args.images, f) for f in os.listdir(args.images)
                    if f.lower().endswith((".png", ".jpg", ".jpeg")))
    if len(photos) < 2:
        raise SystemExit(f"export_zoo: need at least two photographs in {args.images}")
    key = hashlib.sha256("|".join([file_sha256(os.path.abspath(__file__)), torch.__version__,
                                   torchvision.__version__, onnx.__version__]
                                  + [file_sha256(p) for p in photos]).encode()).hexdigest()[:16]
    os.makedirs(args.out, exist_ok=True)
    if not only:  # entries no longer in ZOO: their files would be tested as if they were
        for f in os.listdir(args.out):
            eid = f.split(".", 1)[0]
            if eid not in ids and f.endswith((".onnx", ".input.npy", ".torch.npy", ".ort.npy", ".json")):
                os.remove(os.path.join(args.out, f))
    failures, t_all = [], time.time()
    for arch, opset in ZOO:
        eid = entry_id(arch, opset)
        if only and eid not in only:
            continue
        meta_path = os.path.join(args.out, eid + ".json")
        try:
            with open(meta_path) as f:
                old = json.load(f)
            if old.get("key") == key and all(os.path.exists(os.path.join(args.out, eid + s))
                                             for s in (".onnx", ".input.npy", ".torch.npy")):
                print(f"{eid:28s} up to date", flush=True)
                continue
        except (OSError, ValueError):
            pass
        try:
            m = export_one(arch, opset, args.out, photos, key)
        except Exception as e:  # reported together below; one bad entry must not hide the others
            failures.append(f"{eid}: {e}")
            print(f"{eid:28s} FAILED: {e}", flush=True)
            continue
        print(f"{eid:28s} {m['seconds']['total']:6.1f} s (export {m['seconds']['export']:.1f} s) "
              f"{m['onnx_bytes'] / 1e6:7.1f} MB {m['nodes']:5d} nodes  photo {m['photo']}, top-1 margin "
              f"{m['top1_margin']:.1e}, nearest other photo {m['nearest_other_photo_rel_l2']:.2f}, "
              f"{m['distinct_top1_over_photos']} distinct top-1", flush=True)
    print(f"export_zoo: {time.time() - t_all:.1f} s", flush=True)
    if failures:
        print("export_zoo: FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
