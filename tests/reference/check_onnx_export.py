#!/usr/bin/python3
"""ONNX export against two independent readers: ONNX's own checker and OpenCV DNN's runtime.

Usage: check_onnx_export.py NETWRIGHT_CLI PRESETS_DIR WORK_DIR [PRESET ...]

Every preset (seeded PyTorch-default weights) is exported with `netwright-cli export --onnx` at
opset 17, and some also at opset 13 and with --fold-bn; each model
  - passes onnx.checker.check_model(full_check=True) (which runs ONNX's shape inference);
  - runs in OpenCV DNN on a batch of 2 with Netwright's output (`netwright-cli run PRESET`),
    max|Δ| ≤ 1e-4 · max|y|;
  - imports back (`netwright-cli summary/run model.onnx`) to the same parameters (trainable and
    not) and MACs, and the same output (folded batch norms excepted from the counts);
  - has initializers named as Netwright's weights and node names carrying the module path.
The files are written to WORK_DIR and removed after each preset (VGG-19's is 550 MB).
Exits 1 if any check fails.
"""
import glob
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import onnx

# Besides opset 17, each with these options too.
VARIANTS = {
    "resnet18": [["--opset", "13"], ["--fold-bn"]],
    "xception": [["--opset", "13"], ["--fold-bn"]],
    "googlenet": [["--fold-bn"]],
    "mnist_residual": [["--opset", "13"]],
}


def cli(exe, *args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True)


def totals(exe, path):
    s = cli(exe, "summary", path, "--json")
    if s.returncode != 0:
        raise RuntimeError("summary %s failed: %s%s" % (path, s.stdout[-1500:], s.stderr[-1500:]))
    t = json.loads(s.stdout)["totals"]
    return {k: t[k] for k in ("trainable_params", "non_trainable_params", "macs")}


def close(got, want, what, errors):
    if got.shape != want.shape:
        return ["%s: shape %s, Netwright %s" % (what, got.shape, want.shape)]
    err, scale = float(np.abs(got - want).max()), float(np.abs(want).max())
    errors.append(err / max(scale, 1e-30))
    if not err <= 1e-4 * max(scale, 1e-30):
        return ["%s: max|Δ| %.3g > 1e-4 · max|y| (%.3g)" % (what, err, scale)]
    return []


def check(exe, preset, work, x_path, y_nw, options):
    name = os.path.basename(preset)[:-5]
    onnx_path = os.path.join(work, name + ".onnx")
    problems, errors = [], []
    e = cli(exe, "export", preset, "--onnx", onnx_path, "--json", *options)
    if e.returncode != 0:
        return ["export failed (%d): %s%s" % (e.returncode, e.stdout[-2000:], e.stderr[-2000:])], 0, 0, float("nan")
    try:
        model = onnx.load(onnx_path)
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:  # the checker's own exception types vary between versions
        problems.append("onnx.checker (full_check): %s" % str(exc)[:1500])
        model = onnx.load(onnx_path)
    want_opset = int(options[options.index("--opset") + 1]) if "--opset" in options else 17
    if model.opset_import[0].version != want_opset:
        problems.append("opset %d, asked for %d" % (model.opset_import[0].version, want_opset))
    names = {i.name for i in model.graph.initializer}
    if name.startswith("resnet") and not any(n.name.startswith("/layer1/layer1.0/") for n in model.graph.node):
        problems.append("no node name carries the module path /layer1/layer1.0/")
    if "--fold-bn" in options and any(n.op_type == "BatchNormalization" for n in model.graph.node):
        problems.append("--fold-bn left BatchNormalization nodes")

    x = np.load(x_path)
    net = cv2.dnn.readNetFromONNX(onnx_path)
    net.setInput(x)
    problems += close(net.forward(), y_nw, "OpenCV DNN", errors)
    del net

    if "--fold-bn" not in options:
        if totals(exe, onnx_path) != totals(exe, preset):
            problems.append("imported counts %s, the preset's %s" % (totals(exe, onnx_path), totals(exe, preset)))
    y_path = os.path.join(work, name + "_back.npy")
    r = cli(exe, "run", onnx_path, "--input", x_path, "--output", y_path)
    if r.returncode != 0:
        problems.append("run of the exported model failed: %s" % r.stderr[-1500:])
    else:
        problems += close(np.load(y_path), y_nw, "re-imported", errors)
    os.remove(onnx_path)
    return problems, len(model.graph.node), len(names), max(errors, default=float("nan"))


def main():
    exe, presets, work = sys.argv[1], sys.argv[2], sys.argv[3]
    wanted = sys.argv[4:]
    os.makedirs(work, exist_ok=True)
    cv2.setNumThreads(2)
    failed = runs = 0
    for preset in sorted(glob.glob(os.path.join(presets, "*.netw"))):
        name = os.path.basename(preset)[:-5]
        if wanted and name not in wanted:
            continue
        shape = json.loads(cli(exe, "summary", preset, "--json").stdout)["input_shape"]
        x = np.random.default_rng(3).standard_normal([2] + shape[1:]).astype(np.float32)
        x_path, y_path = os.path.join(work, name + "_x.npy"), os.path.join(work, name + "_y.npy")
        np.save(x_path, x)
        r = cli(exe, "run", preset, "--input", x_path, "--output", y_path)
        if r.returncode != 0:
            print("%-16s run failed: %s" % (name, r.stderr[-1500:]))
            failed += 1
            continue
        y_nw = np.load(y_path)
        for options in [[]] + VARIANTS.get(name, []):
            runs += 1
            problems, nodes, inits, err = check(exe, preset, work, x_path, y_nw, options)
            print("%-16s %-12s %4d nodes %4d initializers  max|Δ|/max|y| %.1e  %s" % (
                name, " ".join(options) or "opset 17", nodes, inits, err, "ok" if not problems else "FAILED"))
            for p in problems:
                print("  " + p)
            failed += bool(problems)
    print("%d of %d exports checked by ONNX's checker, OpenCV DNN and the round trip" % (runs - failed, runs))
    return 1 if failed or runs == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
