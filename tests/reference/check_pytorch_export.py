#!/usr/bin/python3
"""PyTorch project export against PyTorch itself.

Usage: check_pytorch_export.py NETWRIGHT_CLI PRESETS_DIR WORK_DIR [PRESET ...]

Every preset is exported with `netwright-cli export --pytorch DIR` (seeded weights), and
  - model.py imports in torch, build_model() has Netwright's trainable and non-trainable parameter
    counts, a class per module definition, and no generated-looking names;
  - load_state_dict(load_safetensors("weights.safetensors")) is strict, and the model in eval mode
    gives Netwright's output on a batch of 2 (`netwright-cli run`), max|Δ| ≤ 1e-4 · max|y|;
  - for the small networks, train.py runs a few steps on one process and under
    `torchrun --nproc_per_node=2` (gloo, CPU) on an MNIST-format idx pair written here, and the
    weights it writes load back into Netwright and differ from the start.
Exits 1 if any check fails.
"""
import glob
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch

TRAINED = {"lenet5", "mnist_inception", "mnist_residual"}


def cli(exe, *args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True)


def import_model(directory, name):
    spec = importlib.util.spec_from_file_location("model_" + name, os.path.join(directory, "model.py"))
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(directory)
    return module


def write_idx(path, array):
    with open(path, "wb") as f:
        f.write(struct.pack(">BBBB", 0, 0, 0x08, array.ndim))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(array.astype(np.uint8).tobytes())


def check_training(exe, preset, directory, work, x_path):
    """train.py for 3 steps on one process and on two; the weights load back into Netwright."""
    problems = []
    rng = np.random.default_rng(5)
    images, labels = os.path.join(work, "images-idx3-ubyte"), os.path.join(work, "labels-idx1-ubyte")
    write_idx(images, rng.integers(0, 256, (96, 28, 28)))
    write_idx(labels, rng.integers(0, 10, 96))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    start = os.path.join(directory, "weights.safetensors")
    for name, launcher in [("one process", [sys.executable]),
                           ("torchrun ×2", [shutil.which("torchrun") or "/usr/bin/torchrun", "--standalone",
                                            "--nproc_per_node=2",
                                            # torch 1.13's torchrun on Python 3.11 cannot parse its own
                                            # defaults of 0 for these (README.md in the project says so)
                                            "--redirects", "1", "--tee", "1"])]:
        out = os.path.join(work, "trained.safetensors")
        if os.path.exists(out):
            os.remove(out)
        r = subprocess.run(launcher + ["train.py", "--data", "idx:%s,%s" % (images, labels), "--epochs", "1",
                                       "--batch", "16", "--max-steps", "3", "--weights", start, "--val-split", "0.25",
                                       "-o", out], cwd=directory, capture_output=True, text=True, env=env, timeout=600)
        if r.returncode != 0 or not os.path.exists(out):
            problems.append("train.py (%s) failed (%d): %s" % (name, r.returncode, (r.stdout + r.stderr)[-1500:]))
            continue
        if "after 3 steps" not in r.stdout:
            problems.append("train.py (%s) did not report 3 steps: %s" % (name, r.stdout[-500:]))
        y_path = os.path.join(work, "trained_y.npy")
        run = cli(exe, "run", preset, "--weights", out, "--input", x_path, "--output", y_path)
        if run.returncode != 0:
            problems.append("the weights train.py (%s) wrote do not run in Netwright: %s" % (name, run.stderr[-800:]))
        with open(out, "rb") as f:
            trained = f.read()
        with open(start, "rb") as f:
            if f.read() == trained:
                problems.append("train.py (%s) wrote the weights it started from" % name)
    return problems


def check(exe, preset, work):
    name = os.path.basename(preset)[:-5]
    directory = os.path.join(work, name)
    shutil.rmtree(directory, ignore_errors=True)
    e = cli(exe, "export", preset, "--pytorch", directory, "--force")
    if e.returncode != 0:
        return ["export failed (%d): %s%s" % (e.returncode, e.stdout[-2000:], e.stderr[-2000:])]
    problems = []
    source = open(os.path.join(directory, "model.py")).read()
    if re.search(r"\bnode_\d+", source):
        problems.append("model.py has generated names (node_N)")
    doc = json.load(open(preset))
    for m in doc.get("modules", []):
        if not re.search(r"^class %s\(nn\.Module\)" % re.escape(m["name"]), source, re.M):
            problems.append("model.py has no class %s for module %s" % (m["name"], m["name"]))
    try:
        module = import_model(directory, name)
        model = module.build_model()
    except Exception as exc:  # what a user would see: the traceback's last line
        return problems + ["model.py does not import or build: %s: %s" % (type(exc).__name__, exc)]
    summary = json.loads(cli(exe, "summary", preset, "--json").stdout)
    totals = summary["totals"]
    trainable = sum(p.numel() for p in model.parameters())
    frozen = sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))
    if (trainable, frozen) != (totals["trainable_params"], totals["non_trainable_params"]):
        problems.append("parameters: torch %d trainable + %d not, Netwright %d + %d"
                        % (trainable, frozen, totals["trainable_params"], totals["non_trainable_params"]))
    try:
        model.load_state_dict(module.load_safetensors(os.path.join(directory, "weights.safetensors")), strict=True)
    except Exception as exc:
        return problems + ["strict load_state_dict: %s" % str(exc)[:1500]]
    shape = summary["input_shape"]
    x = np.random.default_rng(3).standard_normal([2] + shape[1:]).astype(np.float32)
    x_path, y_path = os.path.join(work, name + "_x.npy"), os.path.join(work, name + "_y.npy")
    np.save(x_path, x)
    r = cli(exe, "run", preset, "--weights", os.path.join(directory, "weights.safetensors"), "--input", x_path,
            "--output", y_path)
    if r.returncode != 0:
        return problems + ["netwright-cli run failed: %s" % r.stderr[-1500:]]
    want = np.load(y_path)
    with torch.no_grad():
        got = model.eval()(torch.from_numpy(x)).numpy()
    if got.shape != want.shape:
        problems.append("output shape %s, Netwright %s" % (got.shape, want.shape))
    else:
        err, scale = float(np.abs(got - want).max()), float(np.abs(want).max())
        if not err <= 1e-4 * scale:
            problems.append("output max|Δ| %.3g > 1e-4 · max|y| (%.3g)" % (err, scale))
    if name in TRAINED:
        problems += check_training(exe, preset, directory, work, x_path)
    del model
    shutil.rmtree(directory, ignore_errors=True)
    return problems


def main():
    exe, presets, work = sys.argv[1], sys.argv[2], sys.argv[3]
    wanted = sys.argv[4:]
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(2)
    failed = runs = 0
    for preset in sorted(glob.glob(os.path.join(presets, "*.netw"))):
        name = os.path.basename(preset)[:-5]
        if wanted and name not in wanted:
            continue
        runs += 1
        problems = check(exe, preset, work)
        print("%-16s %s%s" % (name, "ok" if not problems else "FAILED", " (+ train.py ×1, ×2)" if name in TRAINED else ""),
              flush=True)
        for p in problems:
            print("  " + p)
        failed += bool(problems)
    print("%d of %d presets export to PyTorch projects equal to Netwright" % (runs - failed, runs))
    return 1 if failed or runs == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
