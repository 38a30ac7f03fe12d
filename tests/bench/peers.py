#!/usr/bin/python3
"""Netwright's executor side by side with PyTorch and OpenCV DNN, in one run, on this machine.

Usage: peers.py BUILD_DIR [--models lenet5,resnet18,...] [--batches 1,8] [--runs R] [--threads T]
                          [--rounds N] [--markdown] [--memory-only] [--quick]

For every model and batch: Netwright (`netwright-cli bench`), PyTorch 1.13 CPU (eval, no_grad,
torch.set_num_threads(T); the better of eager and torch.jit.freeze(torch.jit.trace(...))), and
OpenCV DNN (the same model exported to ONNX). Prints the median latency of each, Netwright's ratio to
each peer, Netwright's GFLOP/s (2 × MACs / time) and its share of the machine's measured float32 FMA
peak (`fma_peak`). Then peak memory, side by side in the same run: the resident set of `netwright-cli run` on ResNet-50
(weights from torchvision's state_dict) against the bound weights + largest live activations, and of
the same forward pass in PyTorch (`/usr/bin/time -f %M` around each process).
Nothing is asserted: the tables are the result (see BENCHMARKS.md).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import torch_models  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
from torch_to_safetensors import convert, write_safetensors  # noqa: E402


def peak_rss_mb(cmd):
    """Peak resident set of one process, in MB, and its stdout."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, check=True, capture_output=True, text=True)
    return int(r.stderr.strip().splitlines()[-1]) / 1024, r.stdout


def memory_table(cli, work, threads, name="resnet50"):
    model, chw = torch_models.build(name)
    weights, inp = os.path.join(work, name + ".safetensors"), os.path.join(work, name + "_in.npy")
    write_safetensors(weights, convert(model.state_dict()))
    x = torch.randn(1, *chw)
    torch.save(x, os.path.join(work, "x.pt"))
    np.save(inp, x.numpy())
    nw_mb, out = peak_rss_mb([cli, "run", os.path.join(ROOT, "presets", name + ".netw"), "--input", inp, "--weights",
                              weights, "--threads", str(threads), "--json"])
    live_mb = json.loads(out)["peak_activation_bytes"] / 1e6
    weights_mb = sum(t.numel() for t in convert(model.state_dict()).values()) * 4 / 1e6
    script = ("import sys, torch; sys.path.insert(0, %r); import torch_models; torch.set_num_threads(%d); "
              "m, _ = torch_models.build(%r); m.load_state_dict(torch.load(%r), strict=False); "
              "x = torch.load(%r)\nwith torch.no_grad(): m(x)") % (
        os.path.join(ROOT, "tests", "reference"), threads, name, os.path.join(work, "sd.pt"), os.path.join(work, "x.pt"))
    torch.save(model.state_dict(), os.path.join(work, "sd.pt"))
    pt_mb, _ = peak_rss_mb([sys.executable, "-c", script])
    base_mb, _ = peak_rss_mb([sys.executable, "-c", "import torch, torchvision"])
    return [("Netwright `run` " + name, nw_mb),
            ("bound: 1.3 × (weights %.1f MB + largest live activations %.1f MB)" % (weights_mb, live_mb),
             1.3 * (weights_mb + live_mb)),
            ("PyTorch, same forward pass (of which importing torch: %.0f MB)" % base_mb, pt_mb)]


def timed(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def torch_runner(model, x):
    """A function timing PyTorch: the better of eager and jit.freeze(trace) (traced once)."""
    fns = [lambda: model(x)]
    with torch.no_grad():
        try:
            frozen = torch.jit.freeze(torch.jit.trace(model, x))
            fns.append(lambda: frozen(x))
        except Exception:  # a model that does not trace: eager only
            pass

    def measure(runs, warmup):
        with torch.no_grad():
            return min(timed(f, runs, warmup) for f in fns)
    return measure


def inline_constant_identities(path):
    """PyTorch 1.13 exports batch-norm-folded weights behind Identity nodes, which OpenCV 4.6 cannot
    import; give each Identity's output its own copy of the constant instead."""
    import onnx
    model = onnx.load(path)
    g = model.graph
    init = {t.name: t for t in g.initializer}
    keep = []
    for node in g.node:
        if node.op_type == "Identity" and node.input[0] in init:
            copy = onnx.TensorProto()
            copy.CopyFrom(init[node.input[0]])
            copy.name = node.output[0]
            g.initializer.append(copy)
        else:
            keep.append(node)
    del g.node[:]
    g.node.extend(keep)
    onnx.save(model, path)


def opencv_runner(model, x, threads, work):
    """A function timing OpenCV DNN on the model's ONNX export, or None when OpenCV cannot run it."""
    try:
        import cv2
    except ImportError:
        return None
    path = os.path.join(work, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(model, x, path, opset_version=11, input_names=["x"], output_names=["y"])
    inline_constant_identities(path)
    cv2.setNumThreads(threads)
    try:
        net = cv2.dnn.readNetFromONNX(path)
    except cv2.error as e:
        print("  OpenCV cannot import this model: %s" % str(e).strip().splitlines()[-1], file=sys.stderr)
        return None
    blob = x.numpy()

    def run():
        net.setInput(blob)
        net.forward()
    try:
        run()
    except cv2.error:
        return None
    return lambda runs, warmup: timed(run, runs, warmup)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--models", default="lenet5,resnet18,resnet50,googlenet,vgg16,xception")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--memory-only", action="store_true", help="only the memory comparison")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of the three peers")
    ap.add_argument("--quick", action="store_true",
                    help="CI mode: LeNet-5 and ResNet-18 at batch 1, 3 runs each, then the memory table")
    args = ap.parse_args()
    if args.quick:
        args.models, args.batches, args.runs, args.warmup, args.rounds = "lenet5,resnet18", "1", 3, 1, 1
    torch.set_num_threads(args.threads)
    cli = os.path.join(args.build, "app", "netwright-cli")
    # The best of three: on a shared VM a neighbour can slow any one measurement.
    peak = max(json.loads(subprocess.run([os.path.join(args.build, "tests", "fma_peak"), str(args.threads)],
                                         check=True, capture_output=True, text=True).stdout)["gflops"] for _ in range(3))
    header = ["model", "batch", "Netwright ms", "PyTorch ms", "NW/PT", "OpenCV ms", "NW/CV", "GFLOP/s", "% of peak"]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name in ([] if args.memory_only else args.models.split(",")):
            model, chw = torch_models.build(name)
            for batch in map(int, args.batches.split(",")):
                x = torch.randn(batch, *chw)
                pt_run = torch_runner(model, x)
                cv_run = opencv_runner(model, x, args.threads, work)
                # Rounds alternate the three, so a slow spell of this shared machine hits all of them;
                # each figure is the median over the rounds of the per-round medians.
                nw_ms, pt_ms, cv_ms, gflops = [], [], [], 0.0
                for _ in range(args.rounds):
                    out = subprocess.run([cli, "bench", os.path.join(ROOT, "presets", name + ".netw"), "--batch",
                                          str(batch), "--threads", str(args.threads), "--runs", str(args.runs),
                                          "--warmup", str(args.warmup), "--json"],
                                         check=True, capture_output=True, text=True).stdout
                    nw_ms.append(json.loads(out)["median_ms"])
                    pt_ms.append(pt_run(args.runs, args.warmup))
                    if cv_run:
                        cv_ms.append(cv_run(args.runs, args.warmup))
                nw, pt = statistics.median(nw_ms), statistics.median(pt_ms)
                cv = statistics.median(cv_ms) if cv_ms else None
                gflops = json.loads(out)["gflops"] * json.loads(out)["median_ms"] / nw
                rows.append([name, batch, nw, pt, nw / pt, cv, nw / cv if cv else None, gflops, 100 * gflops / peak])
                print("  measured %s batch %d" % (name, batch), file=sys.stderr, flush=True)

    def cell(v):
        if v is None:
            return "—"
        if isinstance(v, float):
            return "%.2f" % v if v < 10 else "%.1f" % v
        return str(v)

    with tempfile.TemporaryDirectory() as work:
        memory = memory_table(cli, work, args.threads)

    print("machine float32 FMA peak: %.1f GFLOP/s on %d threads" % (peak, args.threads))
    if not rows:
        pass
    elif args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(cell(v) for v in r) + " |")
    else:
        widths = [max(len(header[i]), *(len(cell(r[i])) for r in rows)) for i in range(len(header))]
        print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
        for r in rows:
            print("  ".join(cell(v).rjust(w) for v, w in zip(r, widths)))
    print()
    if args.markdown:
        print("| | peak RSS |\n|---|---|")
    for label, mb in memory:
        print(("| %s | %.0f MB |" if args.markdown else "%-80s %6.0f MB") % (label, mb))


if __name__ == "__main__":
    main()
