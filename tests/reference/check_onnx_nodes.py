#!/usr/bin/python3
"""ONNX conformance of the importer and the executor, on Debian's libonnx-testdata node tests.

Usage: check_onnx_nodes.py NETWRIGHT_CLI WORK_DIR [ONNX_NODE_TEST_DIR]

Every float32 one-node test of an operator the importer reads goes through it: the test's own
model.onnx, with its weight-like inputs (Conv's W, BatchNormalization's statistics, Pad's pads, Clip's
bounds, ...) made initializers from the test's data, is run with `netwright-cli run model.onnx` and
compared with the expected output: max|Δ| ≤ 1e-4 · max|y| + 1e-6. Element-wise, Concat and Softmax
tests on 3-D data get a trailing axis of 1, their axes made non-negative first (Netwright's inputs
are N×C×H×W or N×F). A test is skipped when its data is not N×C×H×W or N×F float32, or when the
importer refuses it naming the configuration as not supported; the reasons are printed. Exits 1 if any test that runs disagrees or the importer fails in another way.
"""
import glob
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

# Operator: how many leading inputs are data (the rest become initializers); None: all.
OPS = {"Conv": 1, "ConvTranspose": 1, "Gemm": 1, "MatMul": 1, "BatchNormalization": 1, "Relu": 1, "LeakyRelu": 1,
       "Clip": 1, "Sigmoid": 1, "Tanh": 1, "HardSigmoid": 1, "HardSwish": 1, "Softmax": 1, "MaxPool": 1,
       "AveragePool": 1, "GlobalAveragePool": 1, "GlobalMaxPool": 1, "Concat": None, "Add": None, "Mul": None,
       "Flatten": 1, "Reshape": 1, "Squeeze": 1, "Dropout": 1, "LRN": 1, "Identity": 1, "Pad": 1}
ELEMENTWISE = {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Add", "Mul", "Dropout",
               "Identity"}
DEFAULT_DIR = "/usr/share/libonnx-testdata/data/node"


def load_tensors(data_set, kind):
    files = sorted(glob.glob(os.path.join(data_set, kind + "_*.pb")), key=lambda p: int(p.rsplit("_", 1)[1][:-3]))
    out = []
    for f in files:
        t = onnx.TensorProto()
        t.ParseFromString(open(f, "rb").read())
        out.append(numpy_helper.to_array(t))
    return out


def set_shape(value_info, shape):
    dims = value_info.type.tensor_type.shape.dim
    del dims[:]
    for d in shape:
        dims.add().dim_value = d


def run_test(test_dir, cli, work):
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    if len(model.graph.node) != 1 or model.graph.node[0].op_type not in OPS:
        return None
    node = model.graph.node[0]
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset < 7:
        return "skip", "opset %d (the importer reads opsets 7–17)" % opset
    data_set = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))[0]
    try:
        ins, outs = load_tensors(data_set, "input"), load_tensors(data_set, "output")
    except ValueError:
        return "skip", "its data are not tensors (sequences or optionals)"
    if len(outs) != 1:
        return "skip", "several outputs"
    inputs = list(model.graph.input)
    n_data = OPS[node.op_type] or len(inputs)
    data, consts = ins[:n_data], ins[n_data:]
    if any(d.dtype != np.float32 for d in data) or outs[0].dtype != np.float32:
        return "skip", "not float32"
    want = outs[0]
    if node.op_type in ELEMENTWISE | {"Concat", "Softmax"} and all(d.ndim == 3 for d in data) and want.ndim == 3:
        # Axes are made non-negative first, so the new trailing axis changes none of them.
        axis = [a for a in node.attribute if a.name == "axis"]
        if node.op_type == "Softmax" and not axis and opset >= 13:
            node.attribute.append(onnx.helper.make_attribute("axis", 2))
        for a in axis:
            a.i = a.i + 3 if a.i < 0 else a.i
        data = [d.reshape(d.shape + (1,)) for d in data]
        want = want.reshape(want.shape + (1,))
        for vi, d in zip(inputs, data):
            set_shape(vi, d.shape)
        set_shape(model.graph.output[0], want.shape)
    if any(d.ndim not in (2, 4) for d in data):
        return "skip", "%s data: Netwright's inputs are N×C×H×W or N×F" % "/".join("%d-D" % d.ndim for d in data)
    # The weight-like inputs become initializers, as an exported model has them.
    for vi, value in zip(inputs[n_data:], consts):
        model.graph.initializer.append(numpy_helper.from_array(value, vi.name))
    if model.ir_version >= 4:  # before IR 4 initializers are listed as inputs too
        del model.graph.input[n_data:]
    name = os.path.basename(test_dir)
    base = os.path.join(work, name)
    onnx.save(model, base + ".onnx")
    cmd = [cli, "run", base + ".onnx", "--output", base + "_out.npy"]
    for k, vi in enumerate(inputs[:n_data]):
        np.save("%s_in%d.npy" % (base, k), data[k])
        cmd += ["--input", "%s=%s_in%d.npy" % (vi.name, base, k) if n_data > 1 else "%s_in%d.npy" % (base, k)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        message = (r.stderr.strip() or r.stdout.strip()).replace("\n", " ")
        if "is not supported" in message:
            return "skip", "importer: " + message[message.find(": ") + 2:][:150]
        return "fail", "netwright-cli: " + message
    got = np.load(base + "_out.npy")
    if got.shape != want.shape:
        return "fail", "shape %s, expected %s" % (got.shape, want.shape)
    err = float(np.abs(got - want).max()) if want.size else 0.0
    limit = 1e-4 * float(np.abs(want).max() if want.size else 0) + 1e-6
    if not err <= limit:
        return "fail", "max|Δ| = %.3g > %.3g" % (err, limit)
    return "pass", "max|Δ| = %.2g" % err


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cli, work = sys.argv[1], sys.argv[2]
    root = sys.argv[3] if len(sys.argv) > 3 else DEFAULT_DIR
    os.makedirs(work, exist_ok=True)
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for test_dir in sorted(glob.glob(os.path.join(root, "test_*"))):
        result = run_test(test_dir, cli, work)
        if result is None:
            continue
        status, detail = result
        counts[status] += 1
        print("%-5s %-52s %s" % (status, os.path.basename(test_dir), detail), flush=True)
    print("%d passed, %d failed, %d skipped (configurations no Netwright layer expresses)"
          % (counts["pass"], counts["fail"], counts["skip"]))
    if counts["pass"] == 0:
        sys.exit("no ONNX node tests ran: is libonnx-testdata installed (%s)?" % root)
    sys.exit(1 if counts["fail"] else 0)


if __name__ == "__main__":
    main()
