#!/usr/bin/python3
"""Compares netwright-cli's per-layer counts and shapes with PyTorch's, for every preset.

Usage: check_counts.py NETWRIGHT_CLI PRESETS_DIR [preset ...]

PyTorch is the independent reference: parameters come from the model's state_dict, MACs and output
shapes from forward hooks (conv: C_out·H_out·W_out·C_in/groups·K_h·K_w, dense: in·out), as in
contracts.md. Checked per preset:
  - Netwright's weight names and shapes equal the state_dict (minus BN's num_batches_tracked);
  - per layer: trainable and non-trainable parameters, MACs, and the output shape of every layer that
    is one torch module called once (a separable conv is the sum of its depthwise and pointwise parts);
  - totals and the network's output shape.
Exits 1 and lists every difference if anything disagrees.
"""
import json
import subprocess
import sys

import torch

import torch_models


def torch_reference(name):
    model, chw = torch_models.build(name)
    calls, shapes, macs = {}, {}, {}
    names = {m: n for n, m in model.named_modules()}

    def hook(module, inputs, output):
        n = names[module]
        calls[n] = calls.get(n, 0) + 1
        shapes[n] = list(output.shape)
        if isinstance(module, torch.nn.Conv2d):
            c_out, c_in_per_group, kh, kw = module.weight.shape
            macs[n] = output[0].numel() * c_in_per_group * kh * kw
        elif isinstance(module, torch.nn.Linear):
            macs[n] = module.in_features * module.out_features

    for m in model.modules():
        m.register_forward_hook(hook)
    torch.manual_seed(0)
    with torch.no_grad():
        out = model(torch.randn(1, *chw))
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    trainable = {n for n, _ in model.named_parameters()}
    return {"calls": calls, "shapes": shapes, "macs": macs, "state": state, "trainable": trainable,
            "output": list(out.shape)}


def under(key, layer):
    return key.startswith(layer + ".")


def compare(name, cli, presets_dir):
    summary = json.loads(subprocess.run([cli, "summary", "--json", "%s/%s.netw" % (presets_dir, name)],
                                        check=True, capture_output=True, text=True).stdout)
    ref = torch_reference(name)
    problems = []

    ours = {w["name"]: w["shape"] for layer in summary["layers"] for w in layer["weights"]}
    theirs = {k: list(v.shape) for k, v in ref["state"].items()}
    for k in sorted(set(ours) | set(theirs)):
        if ours.get(k) != theirs.get(k):
            problems.append("weight %s: netwright %s, torch %s" % (k, ours.get(k), theirs.get(k)))

    shapes_checked = 0
    for layer in summary["layers"]:
        n = layer["name"]
        keys = [k for k in ref["state"] if under(k, n)]
        want_trainable = sum(ref["state"][k].numel() for k in keys if k in ref["trainable"])
        want_frozen = sum(ref["state"][k].numel() for k in keys if k not in ref["trainable"])
        want_macs = sum(v for m, v in ref["macs"].items() if m == n or under(m, n))
        got = (layer["trainable_params"], layer["non_trainable_params"], layer["macs"])
        if got != (want_trainable, want_frozen, want_macs):
            problems.append("%s (%s): netwright trainable/non-trainable/MACs %s, torch %s"
                            % (n, layer["kind"], got, (want_trainable, want_frozen, want_macs)))
        if ref["calls"].get(n) == 1:
            shapes_checked += 1
            if layer["output_shape"] != ref["shapes"][n]:
                problems.append("%s: netwright shape %s, torch %s" % (n, layer["output_shape"], ref["shapes"][n]))
        elif layer["kind"] in ("Conv2d", "Linear", "BatchNorm2d", "SeparableConv2d"):
            problems.append("%s: no torch module of that name runs exactly once" % n)

    totals = summary["totals"]
    want = {"trainable_params": sum(v.numel() for k, v in ref["state"].items() if k in ref["trainable"]),
            "non_trainable_params": sum(v.numel() for k, v in ref["state"].items() if k not in ref["trainable"]),
            "macs": sum(ref["macs"].values())}
    for key, value in want.items():
        if totals[key] != value:
            problems.append("total %s: netwright %d, torch %d" % (key, totals[key], value))
    if summary["output_shape"] != ref["output"]:
        problems.append("output shape: netwright %s, torch %s" % (summary["output_shape"], ref["output"]))

    line = "%3d layers, %3d shapes  trainable %11s  non-trainable %7s  MACs %15s" % (
        len(summary["layers"]), shapes_checked, format(want["trainable_params"], ","),
        format(want["non_trainable_params"], ","), format(want["macs"], ","))
    return line, problems


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    torch.set_num_threads(2)
    cli, presets_dir = sys.argv[1], sys.argv[2]
    torch_models.check_presets(sys.argv[3:], lambda name: compare(name, cli, presets_dir))


if __name__ == "__main__":
    main()
