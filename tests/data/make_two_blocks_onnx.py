#!/usr/bin/python3
"""Writes tests/data/two_blocks.onnx: a small model named the way a PyTorch export names its nodes
(two identical residual blocks in scopes /block1 and /block2, then a head), for the window's tests.

usage: make_two_blocks_onnx.py OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)
nodes, inits = [], []


def weight(name, shape):
    inits.append(numpy_helper.from_array((rng.standard_normal(shape) * 0.2).astype(np.float32), name))
    return name


x = "input"
for b in ("block1", "block2"):
    nodes.append(helper.make_node("Conv", [x, weight(b + ".conv.weight", (4, 4, 3, 3)), weight(b + ".conv.bias", (4,))],
                                  [b + "_c"], name="/%s/conv/Conv" % b, pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", [b + "_c"], [b + "_r"], name="/%s/relu/Relu" % b))
    nodes.append(helper.make_node("Add", [b + "_r", x], [b + "_y"], name="/%s/Add" % b))
    x = b + "_y"
nodes.append(helper.make_node("GlobalAveragePool", [x], ["p"], name="/pool/GlobalAveragePool"))
nodes.append(helper.make_node("Flatten", ["p"], ["f"], name="/Flatten"))
nodes.append(helper.make_node("Gemm", ["f", weight("fc.weight", (3, 4)), weight("fc.bias", (3,))], ["output"],
                              name="/fc/Gemm", transB=1))
graph = helper.make_graph(nodes, "two_blocks", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4, 8, 8])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_two_blocks_onnx")
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
