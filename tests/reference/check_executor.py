#!/usr/bin/python3
"""Runs every preset in Netwright's executor and in PyTorch on the same input and weights.

Usage: check_executor.py NETWRIGHT_CLI PRESETS_DIR WORK_DIR [preset ...]

For each preset: random seeded weights (batch-norm statistics and affine parameters randomised too, so
they matter) are saved with torch.save and converted by tools/torch_to_safetensors.py, a seeded input
goes to .npy; both
run, and the final output and a sample of intermediate layers must agree within
max|Δ| ≤ 1e-4 · max|y_torch|. Exits 1 listing every disagreement.
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch

import torch_models

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
TOLERANCE = 1e-4


def randomise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)


def compare(name, cli, presets_dir, work):
    model, chw = torch_models.build(name)
    randomise(model, 1)
    torch.manual_seed(2)
    x = torch.randn(1, *chw)
    # The weights go the way a user's would: torch.save, then tools/torch_to_safetensors.py.
    checkpoint, weights = os.path.join(work, name + ".pth"), os.path.join(work, name + ".safetensors")
    torch.save(model.state_dict(), checkpoint)
    subprocess.run([sys.executable, os.path.join(TOOLS, "torch_to_safetensors.py"), checkpoint, weights],
                   check=True, capture_output=True)
    inp, out = os.path.join(work, name + "_in.npy"), os.path.join(work, name + "_out.npy")
    np.save(inp, x.numpy())

    # A sample of intermediate layers: torch modules that run once and exist in the flat graph.
    summary = json.loads(subprocess.run([cli, "summary", "--json", "%s/%s.netw" % (presets_dir, name)],
                                        check=True, capture_output=True, text=True).stdout)
    ours = {layer["name"] for layer in summary["layers"]}
    modules = dict(model.named_modules())
    calls, captured = {}, {}

    def hook(n):
        def f(module, args, output):
            calls[n] = calls.get(n, 0) + 1
            captured[n] = output.detach().clone()
        return f

    for n, m in modules.items():
        if n in ours:
            m.register_forward_hook(hook(n))
    with torch.no_grad():
        want = model(x)
    candidates = [n for n in modules if n in ours and calls.get(n) == 1]
    sample = candidates[:: max(1, len(candidates) // 6)][:6]

    dump_dir = os.path.join(work, name + "_dump")
    os.makedirs(dump_dir, exist_ok=True)
    cmd = [cli, "run", "%s/%s.netw" % (presets_dir, name), "--input", inp, "--weights", weights, "--output", out,
           "--dump-dir", dump_dir]
    for n in sample:
        cmd += ["--dump", n]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        return "", ["netwright-cli run failed: " + run.stderr.strip()]

    problems, worst = [], 0.0
    for label, got, ref in [("output", np.load(out), want)] + [
            (n, np.load(os.path.join(dump_dir, n + ".npy")), captured[n]) for n in sample]:
        ref = ref.numpy()
        if got.shape != ref.shape:
            problems.append("%s: shape %s, torch %s" % (label, got.shape, ref.shape))
            continue
        scale = float(np.abs(ref).max()) or 1.0
        err = float(np.abs(got - ref).max()) / scale
        worst = max(worst, err)
        if not err <= TOLERANCE:
            problems.append("%s: max|Δ| = %.3g · max|y| (limit %.0e)" % (label, err, TOLERANCE))
    return "output + %d layers, worst max|Δ|/max|y| = %.2e" % (len(sample), worst), problems


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    torch.set_num_threads(2)
    cli, presets_dir, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    torch_models.check_presets(sys.argv[4:], lambda name: compare(name, cli, presets_dir, work))


if __name__ == "__main__":
    main()
