#!/usr/bin/python3
"""Converts a PyTorch checkpoint to the safetensors file Netwright loads (standard library + torch).

Usage: torch_to_safetensors.py CHECKPOINT.pth OUT.safetensors [--strip-prefix module.]

CHECKPOINT is a state_dict (what torchvision's model zoo ships), a dict holding one under
"state_dict" or "model", or a whole pickled nn.Module. Tensors keep their state_dict names — the
names Netwright's torchvision presets use (`layer1.0.conv1.weight`) — and are written as float32;
batch-norm's `num_batches_tracked` counters are dropped (not parameters). Example:

    python3 -c "import torch, torchvision; torch.save(torchvision.models.resnet50().state_dict(), 'r50.pth')"
    /usr/bin/python3 tools/torch_to_safetensors.py r50.pth r50.safetensors
    build/app/netwright-cli run presets/resnet50.netw --weights r50.safetensors --image photo.jpg
"""
import argparse
import json
import os
import struct
import sys

import torch


def write_safetensors(path, tensors):
    """Writes {name: tensor or array} as float32 safetensors: 8-byte little-endian header length, JSON
    header, raw little-endian data, tensors in name order, data 8-byte aligned. Atomic: a temporary
    file is renamed over `path`."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = torch.as_tensor(tensors[name]).detach().to("cpu", torch.float32).contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def state_dict_of(checkpoint):
    if isinstance(checkpoint, torch.nn.Module):
        return checkpoint.state_dict()
    if isinstance(checkpoint, dict):
        for key in ("state_dict", "model"):
            if isinstance(checkpoint.get(key), dict):
                return checkpoint[key]
        return checkpoint
    raise ValueError("not a state_dict, a checkpoint dict or an nn.Module: %s" % type(checkpoint).__name__)


def convert(checkpoint, strip_prefix=""):
    out = {}
    for name, value in state_dict_of(checkpoint).items():
        if name.endswith("num_batches_tracked") or not torch.is_tensor(value):
            continue
        if strip_prefix and name.startswith(strip_prefix):
            name = name[len(strip_prefix):]
        out[name] = value
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("output")
    ap.add_argument("--strip-prefix", default="", help='drop this prefix from every name (DataParallel: "module.")')
    args = ap.parse_args()
    try:
        tensors = convert(torch.load(args.checkpoint, map_location="cpu"), args.strip_prefix)
    except Exception as e:  # unreadable file, wrong kind of object
        sys.exit("torch_to_safetensors: %s: %s" % (args.checkpoint, e))
    write_safetensors(args.output, tensors)
    print("%s: %d tensors, %d parameters" % (args.output, len(tensors), sum(t.numel() for t in tensors.values())))


if __name__ == "__main__":
    main()
