#!/usr/bin/python3
"""ONNX conformance of the executor's kernels, on Debian's libonnx-testdata node tests.

Usage: check_onnx_nodes.py NETWRIGHT_CLI WORK_DIR [ONNX_NODE_TEST_DIR]

Every float32 test of Conv, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Relu,
LeakyRelu, Sigmoid, Tanh, Softmax, Gemm, Flatten, Concat, Add, LRN, Dropout and ConvTranspose is translated into a
one-layer .netw graph (weights into safetensors, data into .npy), run with `netwright-cli run`, and
compared with the expected output: max|Δ| ≤ 1e-4 · max|y| + 1e-6. Tests whose configuration no
Netwright layer expresses (1-D/3-D pooling, Gemm with alpha/beta/transA, broadcasting Add, a second
output such as MaxPool indices, ...) are listed as skipped with the reason. Exits 1 if any test that
runs disagrees.
"""
import glob
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from torch_to_safetensors import write_safetensors  # noqa: E402

OPS = {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid",
       "Tanh", "Softmax", "Gemm", "Flatten", "Concat", "Add", "LRN", "Dropout", "ConvTranspose"}
DEFAULT_DIR = "/usr/share/libonnx-testdata/data/node"


class Skip(Exception):
    pass


def same_pads(size, kernel, stride, dilation, upper):
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    small, big = total // 2, total - total // 2
    return (small, big) if upper else (big, small)


def window_attrs(attrs, x_shape, kernel, with_dilation=True):
    """kernel_size, stride, padding (and dilation) from ONNX's pooling/conv attributes."""
    if len(x_shape) != 4:
        raise Skip("%d-D input: Netwright's layers are 2-D (N×C×H×W)" % (len(x_shape) - 2))
    strides = attrs.get("strides", [1, 1])
    dil = attrs.get("dilations", [1, 1])
    out = {"kernel_size": list(kernel), "stride": list(strides)}
    if with_dilation or dil != [1, 1]:
        out["dilation"] = list(dil)
    auto_pad = attrs.get("auto_pad", b"NOTSET").decode()
    if auto_pad == "SAME_UPPER":
        out["padding"] = "same"
    elif auto_pad == "SAME_LOWER":
        (t, b), (l, r) = (same_pads(x_shape[2 + i], kernel[i], strides[i], dil[i], False) for i in (0, 1))
        out["padding"] = [t, l, b, r]
    elif auto_pad == "VALID":
        out["padding"] = "valid"
    else:
        p = attrs.get("pads", [0, 0, 0, 0])
        out["padding"] = [p[0], p[1], p[2], p[3]]
    return out


def translate(node, inputs, init):
    """(kind, attrs, weights by parameter name, data input names) for one ONNX node."""
    a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
    op = node.op_type
    x = inputs[0] if inputs else None
    if op == "Conv":
        w = init[node.input[1]]
        attrs = window_attrs(a, x.shape, w.shape[2:])
        attrs.update(out_channels=int(w.shape[0]), groups=int(a.get("group", 1)), bias=len(node.input) > 2)
        weights = {"weight": w}
        if len(node.input) > 2:
            weights["bias"] = init[node.input[2]]
        return "Conv2d", attrs, weights, [node.input[0]]
    if op == "ConvTranspose":
        if len(x.shape) != 4:
            raise Skip("%d-D input: Netwright's layers are 2-D (N×C×H×W)" % (len(x.shape) - 2))
        if "output_shape" in a or a.get("auto_pad", b"NOTSET").decode() != "NOTSET":
            raise Skip("output_shape / auto_pad: Netwright takes padding and output_padding, as PyTorch")
        p = a.get("pads", [0, 0, 0, 0])
        if p[0] != p[2] or p[1] != p[3]:
            raise Skip("asymmetric pads")
        w, group = init[node.input[1]], int(a.get("group", 1))
        attrs = {"out_channels": int(w.shape[1]) * group, "kernel_size": list(w.shape[2:]),
                 "stride": list(a.get("strides", [1, 1])), "padding": [p[0], p[1]],
                 "output_padding": list(a.get("output_padding", [0, 0])), "dilation": list(a.get("dilations", [1, 1])),
                 "groups": group, "bias": len(node.input) > 2}
        weights = {"weight": w}
        if len(node.input) > 2:
            weights["bias"] = init[node.input[2]]
        return "ConvTranspose2d", attrs, weights, [node.input[0]]
    if op in ("MaxPool", "AveragePool"):
        if len(node.output) > 1:
            raise Skip("second output (indices)")
        if a.get("storage_order", 0):
            raise Skip("storage_order")
        attrs = window_attrs(a, x.shape, a["kernel_shape"], op == "MaxPool")
        attrs["ceil_mode"] = bool(a.get("ceil_mode", 0))
        if op == "AveragePool":
            attrs["count_include_pad"] = bool(a.get("count_include_pad", 0))
        return ("MaxPool2d" if op == "MaxPool" else "AvgPool2d"), attrs, {}, [node.input[0]]
    if op == "GlobalAveragePool":
        if x.ndim != 4:
            raise Skip("%d-D input" % (x.ndim - 2))
        return "GlobalAvgPool", {"keepdims": True}, {}, [node.input[0]]
    if op == "BatchNormalization":
        if len(node.output) > 1 or a.get("training_mode", 0):
            raise Skip("training mode")
        names = ["weight", "bias", "running_mean", "running_var"]
        return ("BatchNorm2d", {"eps": float(a.get("epsilon", 1e-5))},
                {n: init[i] for n, i in zip(names, node.input[1:])}, [node.input[0]])
    if op in ("Relu", "Sigmoid", "Tanh"):
        return {"Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh"}[op], {}, {}, [node.input[0]]
    if op == "LeakyRelu":
        return "LeakyReLU", {"negative_slope": float(a.get("alpha", 0.01))}, {}, [node.input[0]]
    if op == "Dropout":
        if len(node.output) > 1 or len(node.input) > 2 or a.get("training_mode", 0):
            raise Skip("mask output or training mode")
        return "Dropout", {"p": float(a.get("ratio", 0.5))}, {}, [node.input[0]]
    if op == "Softmax":
        axis = a.get("axis", -1)
        axis = axis + x.ndim if axis < 0 else axis
        if axis == 0:
            raise Skip("softmax over the batch axis")
        return "Softmax", {"dim": axis}, {}, [node.input[0]]
    if op == "Flatten":
        axis = a.get("axis", 1)
        if axis != 1 and axis != 1 - x.ndim:
            raise Skip("flatten at axis %d (Netwright flattens after the batch axis)" % axis)
        return "Flatten", {}, {}, [node.input[0]]
    if op == "Concat":
        axis = a["axis"] + (inputs[0].ndim if a["axis"] < 0 else 0)
        if axis != 1 or inputs[0].ndim < 2:
            raise Skip("concat along axis %d (Netwright concatenates channels, axis 1)" % a["axis"])
        return "Concat", {"num_inputs": len(node.input)}, {}, list(node.input)
    if op == "Add":
        if inputs[0].shape != inputs[1].shape:
            raise Skip("broadcasting add")
        return "Add", {}, {}, list(node.input)
    if op == "Gemm":
        if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            raise Skip("Gemm with transA, alpha or beta (Linear is y = x Wᵀ + b)")
        b = init[node.input[1]]
        w = b if a.get("transB", 0) else b.T
        weights = {"weight": w}
        if len(node.input) > 2:
            c = init[node.input[2]]
            if c.size not in (1, w.shape[0]) or (c.ndim == 2 and c.shape[0] != 1):
                raise Skip("matrix bias")
            weights["bias"] = np.broadcast_to(c.reshape(-1), (w.shape[0],)).copy()
        return "Linear", {"out_features": int(w.shape[0]), "bias": "bias" in weights}, weights, [node.input[0]]
    if op == "LRN":
        size = a["size"]
        if size % 2 == 0:
            raise Skip("even LRN size: ONNX and PyTorch centre the window differently")
        return ("LRN", {"size": size, "alpha": float(a.get("alpha", 1e-4)), "beta": float(a.get("beta", 0.75)),
                        "k": float(a.get("bias", 1.0))}, {}, [node.input[0]])
    raise Skip("operator " + op)


def run_test(test_dir, cli, work):
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    node = model.graph.node[0]
    if len(model.graph.node) != 1 or node.op_type not in OPS:
        return None
    data_set = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))[0]
    tensors = []
    for kind in ("input", "output"):
        files = sorted(glob.glob(os.path.join(data_set, kind + "_*.pb")), key=lambda p: int(p.rsplit("_", 1)[1][:-3]))
        loaded = []
        for f in files:
            t = onnx.TensorProto()
            t.ParseFromString(open(f, "rb").read())
            loaded.append(numpy_helper.to_array(t))
        tensors.append(loaded)
    ins, outs = tensors
    if any(t.dtype != np.float32 for t in ins + outs):
        return "skip", "not float32"
    by_name = dict(zip([i.name for i in model.graph.input], ins))
    try:
        kind, attrs, weights, data_inputs = translate(node, [by_name[n] for n in node.input if n in by_name], by_name)
    except Skip as s:
        return "skip", str(s)
    if len(outs) != 1:
        return "skip", "several outputs"

    # The CLI reads a 3-D array as one C×H×W sample; a trailing 1 keeps every axis where it was.
    data = [by_name[n] for n in data_inputs]
    data = [d.reshape(d.shape + (1,)) if d.ndim == 3 else d for d in data]

    name = os.path.basename(test_dir)
    base = os.path.join(work, name)
    ids = ["x%d" % i for i in range(len(data_inputs))]
    netw = {"format": "netwright", "version": 1, "name": name,
            "nodes": [{"id": i, "kind": "Input"} for i in ids] + [{"id": "n", "kind": kind, "attrs": attrs}],
            "edges": [{"from": i, "to": "n", "to_port": ("in%d" % k) if kind in ("Concat", "Add") else "in"}
                      for k, i in enumerate(ids)]}
    with open(base + ".netw", "w") as f:
        json.dump(netw, f)
    cmd = [cli, "run", base + ".netw", "--output", base + "_out.npy"]
    if weights:
        write_safetensors(base + ".safetensors", {"n." + k: v for k, v in weights.items()})
        cmd += ["--weights", base + ".safetensors"]
    for k, i in enumerate(ids):
        np.save("%s_%s.npy" % (base, i), data[k])
        cmd += ["--input", "%s=%s_%s.npy" % (i, base, i) if len(ids) > 1 else "%s_%s.npy" % (base, i)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return "fail", "netwright-cli: " + (r.stderr.strip() or r.stdout.strip())
    got, want = np.load(base + "_out.npy"), outs[0]
    if want.ndim == 3 and got.shape == want.shape + (1,):
        got = got.reshape(want.shape)
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
