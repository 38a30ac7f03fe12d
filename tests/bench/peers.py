#!/usr/bin/python3
"""Netwright's executor side by side with PyTorch and OpenCV DNN, in one run, on this machine.

Usage: peers.py BUILD_DIR [--models lenet5,resnet18,...] [--batches 1,8] [--runs R] [--threads T]
                          [--markdown]

For every model and batch: Netwright (`netwright-cli bench`), PyTorch 1.13 CPU (eval, no_grad,
torch.set_num_threads(T); the better of eager and torch.jit.freeze(torch.jit.trace(...))), and
OpenCV DNN (the same model exported to ONNX). Prints the median latency of each, Netwright's ratio to
each peer, Netwright's GFLOP/s (2 × MACs / time) and its share of the machine's measured float32 FMA
peak (`fma_peak`). Nothing is asserted: the table is the result (see BENCHMARKS.md).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import torch_models  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def timed(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def torch_ms(model, x, runs, warmup):
    with torch.no_grad():
        eager = timed(lambda: model(x), runs, warmup)
        try:
            frozen = torch.jit.freeze(torch.jit.trace(model, x))
            jit = timed(lambda: frozen(x), runs, warmup)
        except Exception:  # a model that does not trace: eager only
            jit = float("inf")
    return min(eager, jit)


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


def opencv_ms(model, x, runs, warmup, threads, work):
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
        return timed(run, runs, warmup)
    except cv2.error:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--models", default="lenet5,resnet18,resnet50,googlenet,vgg16,xception")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cli = os.path.join(args.build, "app", "netwright-cli")
    peak = json.loads(subprocess.run([os.path.join(args.build, "tests", "fma_peak"), str(args.threads)],
                                     check=True, capture_output=True, text=True).stdout)["gflops"]
    header = ["model", "batch", "Netwright ms", "PyTorch ms", "NW/PT", "OpenCV ms", "NW/CV", "GFLOP/s", "% of peak"]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name in args.models.split(","):
            model, chw = torch_models.build(name)
            for batch in map(int, args.batches.split(",")):
                out = subprocess.run([cli, "bench", os.path.join(ROOT, "presets", name + ".netw"), "--batch", str(batch),
                                      "--threads", str(args.threads), "--runs", str(args.runs), "--warmup",
                                      str(args.warmup), "--json"], check=True, capture_output=True, text=True).stdout
                nw = json.loads(out)
                x = torch.randn(batch, *chw)
                pt = torch_ms(model, x, args.runs, args.warmup)
                cv = opencv_ms(model, x, args.runs, args.warmup, args.threads, work)
                rows.append([name, batch, nw["median_ms"], pt, nw["median_ms"] / pt, cv,
                             nw["median_ms"] / cv if cv else None, nw["gflops"], 100 * nw["gflops"] / peak])
                print("  measured %s batch %d" % (name, batch), file=sys.stderr, flush=True)

    def cell(v):
        if v is None:
            return "—"
        if isinstance(v, float):
            return "%.2f" % v if v < 10 else "%.1f" % v
        return str(v)

    print("machine float32 FMA peak: %.1f GFLOP/s on %d threads" % (peak, args.threads))
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(cell(v) for v in r) + " |")
    else:
        widths = [max(len(header[i]), *(len(cell(r[i])) for r in rows)) for i in range(len(header))]
        print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
        for r in rows:
            print("  ".join(cell(v).rjust(w) for v, w in zip(r, widths)))


if __name__ == "__main__":
    main()
