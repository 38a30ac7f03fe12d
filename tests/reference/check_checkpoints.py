#!/usr/bin/python3
"""Ordinary PyTorch checkpoints as weights: a torchvision ResNet-18 state_dict written the way
`safetensors.torch.save_file` writes it — every tensor in its own dtype (num_batches_tracked as I64),
sorted by dtype then name, compact JSON header with `__metadata__`, padded to 8 bytes — in float32,
float16 (model.half()), bfloat16 and float64.

Usage: check_checkpoints.py NETWRIGHT_CLI PRESETS_DIR WORK_DIR

For each, `netwright-cli run presets/resnet18.netw --weights W` equals torch's output with the same
(rounded) weights, max|Δ| ≤ 1e-4 · max|y|, and says it ignored the 20 counters. Exits 1 on failure.
(Debian has no python3-safetensors; the writer below follows its serialisation.)
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

# safetensors' Dtype enum order; files list tensors by dtype, largest first, then by name.
ORDER = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
         torch.int64: "I64"}


def save_file(tensors, path, metadata=None):
    items = sorted(tensors.items(), key=lambda kv: (-ORDER.index(NAMES[kv[1].dtype]), kv[0]))
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in items:
        t = t.detach().contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    exe, presets, work = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                m.num_batches_tracked.fill_(1234)
    model.eval()
    x = torch.randn(1, 3, 224, 224, generator=g)
    x_path = os.path.join(work, "x.npy")
    np.save(x_path, x.numpy())
    failed = 0
    for dtype in (torch.float32, torch.float16, torch.bfloat16, torch.float64):
        state = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in model.state_dict().items()}
        path = os.path.join(work, "resnet18_%s.safetensors" % NAMES[dtype])
        save_file(state, path, {"format": "pt"})
        # torch on the same rounded values, in float32.
        reference = torchvision.models.resnet18()
        reference.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in state.items()})
        with torch.no_grad():
            want = reference.eval()(x).numpy()
        y_path = os.path.join(work, "y.npy")
        r = subprocess.run([exe, "run", os.path.join(presets, "resnet18.netw"), "--weights", path, "--input", x_path,
                            "--output", y_path], capture_output=True, text=True)
        problems = []
        if r.returncode != 0:
            problems.append("run failed (%d): %s" % (r.returncode, r.stderr[-1500:]))
        else:
            got = np.load(y_path)
            err, scale = float(np.abs(got - want).max()), float(np.abs(want).max())
            if not err <= 1e-4 * scale:
                problems.append("max|Δ| %.3g > 1e-4 · max|y| (%.3g)" % (err, scale))
            if "20 num_batches_tracked counter(s) ignored" not in r.stderr:
                problems.append("no note on the ignored counters: %r" % r.stderr[-500:])
        print("resnet18 state_dict as %-4s  %s" % (NAMES[dtype], "ok" if not problems else "FAILED"))
        for p in problems:
            print("  " + p)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
