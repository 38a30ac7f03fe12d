#!/usr/bin/python3
"""ConvTranspose2d against PyTorch's nn.ConvTranspose2d: output shape, parameters, MACs and values.

Usage: check_conv_transpose.py NETWRIGHT_CLI WORK_DIR

For each configuration (strides, padding, output_padding, dilation, groups, bias, a following ReLU
the executor fuses): a graph Input → ConvTranspose2d [→ ReLU] → Output, seeded torch weights saved
as safetensors, a seeded input as .npy; `netwright-cli run` must agree with torch within
max|Δ| ≤ 1e-4 · max|y| + 1e-6, and `summary --json` must give torch's output shape, its parameter
count and C_in·H·W·(C_out/groups)·k_h·k_w MACs. Exits 1 listing every disagreement.
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from torch_to_safetensors import write_safetensors  # noqa: E402

# (in_channels, H, W, attrs)
CASES = [
    (3, 5, 5, dict(out_channels=4, kernel_size=3)),
    (8, 7, 6, dict(out_channels=4, kernel_size=4, stride=2, padding=1)),
    (4, 6, 9, dict(out_channels=6, kernel_size=[3, 2], stride=[3, 2], padding=[1, 0], output_padding=[2, 1])),
    (6, 5, 5, dict(out_channels=9, kernel_size=3, stride=2, dilation=2, output_padding=1, groups=3, bias=False)),
    (4, 4, 4, dict(out_channels=4, kernel_size=2, stride=2, groups=4)),
    (5, 9, 3, dict(out_channels=2, kernel_size=5, stride=1, padding=2, dilation=[1, 2], relu=True)),
    (16, 14, 14, dict(out_channels=8, kernel_size=4, stride=2, padding=1, relu=True)),
]


def pair(v):
    return list(v) if isinstance(v, list) else [v, v]


def check(index, case, cli, work):
    cin, h, w, attrs = case
    attrs = dict(attrs)
    relu = attrs.pop("relu", False)
    k, s = pair(attrs.get("kernel_size", 3)), pair(attrs.get("stride", 1))
    p, op, d = pair(attrs.get("padding", 0)), pair(attrs.get("output_padding", 0)), pair(attrs.get("dilation", 1))
    groups, bias, cout = attrs.get("groups", 1), attrs.get("bias", True), attrs["out_channels"]
    torch.manual_seed(index)
    layer = torch.nn.ConvTranspose2d(cin, cout, k, s, p, op, groups, bias, d)
    with torch.no_grad():
        if bias:
            layer.bias.normal_()
    x = torch.randn(2, cin, h, w)
    with torch.no_grad():
        want = layer(x)
        if relu:
            want = torch.relu(want)
    base = os.path.join(work, "case%d" % index)
    nodes = [{"id": "in", "kind": "Input", "attrs": {"channels": cin, "height": h, "width": w}},
             {"id": "t", "kind": "ConvTranspose2d", "attrs": attrs}]
    edges = [{"from": "in", "to": "t"}]
    last = "t"
    if relu:
        nodes.append({"id": "relu", "kind": "ReLU"})
        edges.append({"from": "t", "to": "relu"})
        last = "relu"
    nodes.append({"id": "out", "kind": "Output"})
    edges.append({"from": last, "to": "out"})
    with open(base + ".netw", "w") as f:
        json.dump({"format": "netwright", "version": 1, "name": "case%d" % index, "nodes": nodes, "edges": edges}, f)
    write_safetensors(base + ".safetensors", {"t." + n: t.detach().numpy() for n, t in layer.state_dict().items()})
    np.save(base + "_in.npy", x.numpy())
    problems = []
    r = subprocess.run([cli, "run", base + ".netw", "--input", base + "_in.npy", "--weights", base + ".safetensors",
                        "--output", base + "_out.npy"], capture_output=True, text=True)
    if r.returncode != 0:
        return ["netwright-cli run: " + (r.stderr.strip() or r.stdout.strip())]
    got = np.load(base + "_out.npy")
    if got.shape != tuple(want.shape):
        problems.append("output %s, torch %s" % (got.shape, tuple(want.shape)))
    else:
        diff, scale = float(np.abs(got - want.numpy()).max()), float(want.abs().max())
        if diff > 1e-4 * scale + 1e-6:
            problems.append("max|Δ| %.3g for max|y| %.3g" % (diff, scale))
    summary = json.loads(subprocess.run([cli, "summary", "--json", base + ".netw"], check=True, capture_output=True,
                                        text=True).stdout)
    layer_row = next(row for row in summary["layers"] if row["name"] == "t")
    params = sum(t.numel() for t in layer.parameters())
    macs = cin * h * w * (cout // groups) * k[0] * k[1]
    shape = [1] + list(want.shape[1:])
    if layer_row["output_shape"] != shape:
        problems.append("summary shape %s, torch %s" % (layer_row["output_shape"], shape))
    if layer_row["trainable_params"] != params or layer_row["macs"] != macs:
        problems.append("summary params/MACs %s, want %s" % ((layer_row["trainable_params"], layer_row["macs"]), (params, macs)))
    return problems


def main():
    cli, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    failures = 0
    for i, case in enumerate(CASES):
        problems = check(i, case, cli, work)
        print("case %d %s: %s" % (i, json.dumps(case[3]), "ok" if not problems else "; ".join(problems)))
        failures += bool(problems)
    print("%d of %d ConvTranspose2d cases agree with PyTorch" % (len(CASES) - failures, len(CASES)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
