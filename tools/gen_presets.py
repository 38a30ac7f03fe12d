#!/usr/bin/env python3
"""Writes presets/*.netw (and tests/data/*.netw compare fixtures) from the definitions below.

The presets are ordinary .netw files; this script is how they were made, kept so they can be
regenerated and reviewed. Standard library only. Run: python3 tools/gen_presets.py
Node names follow torchvision's state_dict names for nets from torchvision and the attribute
names of the course code for the MNIST nets (see docs/networks.md)."""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Graph:
    def __init__(self):
        self.nodes, self.edges = [], []

    def add(self, id, kind, inputs=(), when=None, repeat=None, repeat_attrs=None, **attrs):
        node = {"id": id, "kind": kind}
        if attrs:
            node["attrs"] = attrs
        if when:
            node["when"] = when
        if repeat is not None:
            node["repeat"] = repeat
        if repeat_attrs:
            node["repeat_attrs"] = repeat_attrs
        self.nodes.append(node)
        if isinstance(inputs, str):
            inputs = [inputs]
        for i, src in enumerate(inputs):
            edge = {"from": src, "to": id}
            if len(inputs) > 1:
                edge["to_port"] = "in%d" % i
            self.edges.append(edge)
        return id

    def seq(self, start, *layers):
        """layers: (id, kind, attrs) chained one after another from `start`."""
        prev = start
        for id, kind, attrs in layers:
            prev = self.add(id, kind, prev, **attrs)
        return prev


def module(name, doc, params, inputs, outputs, g):
    return {"name": name, "doc": doc, "params": params, "inputs": inputs,
            "outputs": [{"name": n, "node": node} for n, node in outputs], "nodes": g.nodes, "edges": g.edges}


def document(name, description, g, modules=()):
    d = {"format": "netwright", "version": 1, "name": name, "description": description}
    if modules:
        d["modules"] = list(modules)
    d["nodes"], d["edges"] = g.nodes, g.edges
    return d


def conv(out, k, stride=1, padding=0, bias=True, **extra):
    a = {"out_channels": out, "kernel_size": k}
    if stride != 1:
        a["stride"] = stride
    if padding != 0:
        a["padding"] = padding
    if not bias:
        a["bias"] = False
    a.update(extra)
    return a


# ---------------------------------------------------------------- LeNet-5
def lenet5():
    g = Graph()
    x = g.add("input", "Input", channels=1, height=32, width=32, normalize="mnist")
    x = g.seq(x, ("conv1", "Conv2d", conv(6, 5)), ("relu1", "ReLU", {}), ("pool1", "MaxPool2d", {"kernel_size": 2}),
              ("conv2", "Conv2d", conv(16, 5)), ("relu2", "ReLU", {}), ("pool2", "MaxPool2d", {"kernel_size": 2}),
              ("flatten", "Flatten", {}), ("fc1", "Linear", {"in_features": 400, "out_features": 120}),
              ("relu3", "ReLU", {}), ("fc2", "Linear", {"out_features": 84}), ("relu4", "ReLU", {}),
              ("fc3", "Linear", {"out_features": 10}))
    g.add("output", "Output", x, labels="mnist")
    return document("LeNet-5", "LeNet-5 (LeCun et al., 1998) as taught in CNN courses: two 5×5 convolutions "
                    "with 2×2 max-pooling, then dense layers 120 → 84 → 10, on a 1×32×32 image (MNIST digits padded "
                    "to 32×32). 61,706 parameters. The original used tanh-like activations, average-pooling "
                    "subsampling with trainable coefficients and a partially connected C3 layer; this is the "
                    "modern simplification with ReLU and max-pooling (same parameter count).", g)


# ---------------------------------------------------------------- AlexNet (torchvision)
def alexnet():
    g = Graph()
    x = g.add("input", "Input", channels=3, height=224, width=224, resize=256, normalize="imagenet")
    x = g.seq(x, ("features.0", "Conv2d", conv(64, 11, 4, 2)), ("features.1", "ReLU", {}),
              ("features.2", "MaxPool2d", {"kernel_size": 3, "stride": 2}),
              ("features.3", "Conv2d", conv(192, 5, padding=2)), ("features.4", "ReLU", {}),
              ("features.5", "MaxPool2d", {"kernel_size": 3, "stride": 2}),
              ("features.6", "Conv2d", conv(384, 3, padding=1)), ("features.7", "ReLU", {}),
              ("features.8", "Conv2d", conv(256, 3, padding=1)), ("features.9", "ReLU", {}),
              ("features.10", "Conv2d", conv(256, 3, padding=1)), ("features.11", "ReLU", {}),
              ("features.12", "MaxPool2d", {"kernel_size": 3, "stride": 2}),
              ("avgpool", "AdaptiveAvgPool2d", {"output_size": 6}), ("flatten", "Flatten", {}),
              ("classifier.0", "Dropout", {"p": 0.5}), ("classifier.1", "Linear", {"out_features": 4096}),
              ("classifier.2", "ReLU", {}), ("classifier.3", "Dropout", {"p": 0.5}),
              ("classifier.4", "Linear", {"out_features": 4096}), ("classifier.5", "ReLU", {}),
              ("classifier.6", "Linear", {"out_features": 1000}))
    g.add("output", "Output", x, labels="imagenet1k")
    return document("AlexNet", "AlexNet as in torchvision (the one-GPU variant of Krizhevsky et al., 2012, after "
                    "'One weird trick'): five convolutions (64, 192, 384, 256, 256 filters) and three dense layers, "
                    "3×224×224 input, 61,100,840 parameters. Unlike the 2012 paper it has no local response "
                    "normalisation (LRN is available in the palette), 64 rather than 96 first-layer filters and no "
                    "two-GPU channel split.", g)


# ---------------------------------------------------------------- VGG (torchvision, no BN)
VGG_CFG = {16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
           19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]}


def vgg(depth):
    g = Graph()
    x = g.add("input", "Input", channels=3, height=224, width=224, resize=256, normalize="imagenet")
    i = 0
    for v in VGG_CFG[depth]:
        if v == "M":
            x = g.add("features.%d" % i, "MaxPool2d", x, kernel_size=2, stride=2)
            i += 1
        else:
            x = g.add("features.%d" % i, "Conv2d", x, **conv(v, 3, padding=1))
            x = g.add("features.%d" % (i + 1), "ReLU", x)
            i += 2
    x = g.seq(x, ("avgpool", "AdaptiveAvgPool2d", {"output_size": 7}), ("flatten", "Flatten", {}),
              ("classifier.0", "Linear", {"out_features": 4096}), ("classifier.1", "ReLU", {}),
              ("classifier.2", "Dropout", {"p": 0.5}), ("classifier.3", "Linear", {"out_features": 4096}),
              ("classifier.4", "ReLU", {}), ("classifier.5", "Dropout", {"p": 0.5}),
              ("classifier.6", "Linear", {"out_features": 1000}))
    g.add("output", "Output", x, labels="imagenet1k")
    params = {16: "138,357,544", 19: "143,667,240"}[depth]
    return document("VGG-%d" % depth, "VGG-%d as in torchvision (Simonyan & Zisserman, 2014, configuration %s, "
                    "without batch-norm): stacks of 3×3 convolutions with padding 1 and 2×2 max-pooling, then three "
                    "dense layers, 3×224×224 input, %s parameters — most of them (102,764,544) in the first dense "
                    "layer 25,088 → 4,096." % (depth, "D" if depth == 16 else "E", params), g)


# ---------------------------------------------------------------- GoogLeNet (torchvision)
def basic_conv2d():
    g = Graph()
    g.seq("x", ("conv", "Conv2d", {"out_channels": "=out_channels", "kernel_size": "=kernel_size", "stride": "=stride",
                                   "padding": "=padding", "bias": False}),
          ("bn", "BatchNorm2d", {"eps": 0.001}), ("relu", "ReLU", {}))
    return module("BasicConv2d", "torchvision's BasicConv2d: convolution without bias, batch-norm (eps 0.001), ReLU.",
                  {"out_channels": 64, "kernel_size": 1, "stride": 1, "padding": 0}, ["x"], [("out", "relu")], g)


def googlenet_inception():
    g = Graph()
    b1 = g.add("branch1", "BasicConv2d", "x", out_channels="=ch1x1", kernel_size=1)
    b2 = g.add("branch2.0", "BasicConv2d", "x", out_channels="=ch3x3red", kernel_size=1)
    b2 = g.add("branch2.1", "BasicConv2d", b2, out_channels="=ch3x3", kernel_size=3, padding=1)
    b3 = g.add("branch3.0", "BasicConv2d", "x", out_channels="=ch5x5red", kernel_size=1)
    b3 = g.add("branch3.1", "BasicConv2d", b3, out_channels="=ch5x5", kernel_size=3, padding=1)
    b4 = g.add("branch4.0", "MaxPool2d", "x", kernel_size=3, stride=1, padding=1, ceil_mode=True)
    b4 = g.add("branch4.1", "BasicConv2d", b4, out_channels="=pool_proj", kernel_size=1)
    g.add("cat", "Concat", [b1, b2, b3, b4], num_inputs=4)
    return module("Inception", "GoogLeNet's Inception module as in torchvision: 1×1; 1×1 → 3×3; 1×1 → 3×3 (the "
                  "'5×5' branch, which torchvision builds with a 3×3 kernel); 3×3 max-pool → 1×1; concatenated.",
                  {"ch1x1": 64, "ch3x3red": 96, "ch3x3": 128, "ch5x5red": 16, "ch5x5": 32, "pool_proj": 32},
                  ["x"], [("out", "cat")], g)


def googlenet():
    g = Graph()
    x = g.add("input", "Input", channels=3, height=224, width=224, resize=256, normalize="imagenet")
    x = g.add("conv1", "BasicConv2d", x, out_channels=64, kernel_size=7, stride=2, padding=3)
    x = g.add("maxpool1", "MaxPool2d", x, kernel_size=3, stride=2, ceil_mode=True)
    x = g.add("conv2", "BasicConv2d", x, out_channels=64, kernel_size=1)
    x = g.add("conv3", "BasicConv2d", x, out_channels=192, kernel_size=3, padding=1)
    x = g.add("maxpool2", "MaxPool2d", x, kernel_size=3, stride=2, ceil_mode=True)
    keys = ["ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj"]
    table = [("inception3a", (64, 96, 128, 16, 32, 32)), ("inception3b", (128, 128, 192, 32, 96, 64)),
             ("maxpool3", (3, 2)),
             ("inception4a", (192, 96, 208, 16, 48, 64)), ("inception4b", (160, 112, 224, 24, 64, 64)),
             ("inception4c", (128, 128, 256, 24, 64, 64)), ("inception4d", (112, 144, 288, 32, 64, 64)),
             ("inception4e", (256, 160, 320, 32, 128, 128)), ("maxpool4", (2, 2)),
             ("inception5a", (256, 160, 320, 32, 128, 128)), ("inception5b", (384, 192, 384, 48, 128, 128))]
    for name, v in table:
        if name.startswith("maxpool"):
            x = g.add(name, "MaxPool2d", x, kernel_size=v[0], stride=v[1], ceil_mode=True)
        else:
            x = g.add(name, "Inception", x, **dict(zip(keys, v)))
    x = g.seq(x, ("avgpool", "AdaptiveAvgPool2d", {"output_size": 1}), ("flatten", "Flatten", {}),
              ("dropout", "Dropout", {"p": 0.2}), ("fc", "Linear", {"out_features": 1000}))
    g.add("output", "Output", x, labels="imagenet1k")
    return document("GoogLeNet", "GoogLeNet (Szegedy et al., 2014, Inception v1) as in torchvision: nine Inception "
                    "modules whose 1×1 'bottleneck' convolutions keep the cost down; 3×224×224 input, 6,624,904 "
                    "parameters. torchvision's version differs from the paper: every convolution is followed by "
                    "batch-norm (BasicConv2d), the '5×5' branch actually uses a 3×3 kernel (a long-standing quirk kept "
                    "for compatibility with the published weights), max-pools use ceil_mode, and the two auxiliary "
                    "classifiers are left out here (aux_logits=False).", g, [basic_conv2d(), googlenet_inception()])


# ---------------------------------------------------------------- ResNet (torchvision)
def shortcut_nodes(g, out_expr, cond_shape_changes):
    """Adds the shortcut path of a residual block from 'x'; returns its last node id.
    shortcut "A": zero-pad channels (and subsample), "B": projection only where shapes change
    (torchvision), "C": projection everywhere."""
    proj = '(shortcut == "C") || (shortcut == "B" && (%s))' % cond_shape_changes
    pad = 'shortcut == "A" && (%s)' % cond_shape_changes
    s = g.add("downsample.0", "Conv2d", "x", when=proj, out_channels=out_expr, kernel_size=1, stride="=stride",
              bias=False)
    s = g.add("downsample.1", "BatchNorm2d", s, when=proj)
    return g.add("shortcut_pad", "ZeroPadChannels", s, when=pad, out_channels=out_expr, stride="=stride")


def basic_block():
    g = Graph()
    y = g.seq("x", ("conv1", "Conv2d", conv("=planes", 3, "=stride", 1, bias=False)), ("bn1", "BatchNorm2d", {}),
              ("relu1", "ReLU", {}), ("conv2", "Conv2d", conv("=planes", 3, padding=1, bias=False)),
              ("bn2", "BatchNorm2d", {}))
    s = shortcut_nodes(g, "=planes", "stride != 1 || in_channels != planes")
    g.add("add", "Add", [y, s])
    g.add("relu2", "ReLU", "add")
    return module("BasicBlock", "ResNet-18/34 residual block: two 3×3 convolutions with batch-norm, added to the "
                  "input. shortcut: \"A\" zero-pads channels, \"B\" projects (1×1 conv + BN) only where the shape "
                  "changes (torchvision), \"C\" projects always.",
                  {"in_channels": 64, "planes": 64, "stride": 1, "shortcut": "B"}, ["x"], [("out", "relu2")], g)


def bottleneck_block():
    g = Graph()
    y = g.seq("x", ("conv1", "Conv2d", conv("=planes", 1, bias=False)), ("bn1", "BatchNorm2d", {}),
              ("relu1", "ReLU", {}), ("conv2", "Conv2d", conv("=planes", 3, "=stride", 1, bias=False)),
              ("bn2", "BatchNorm2d", {}), ("relu2", "ReLU", {}),
              ("conv3", "Conv2d", conv("=planes * 4", 1, bias=False)), ("bn3", "BatchNorm2d", {}))
    s = shortcut_nodes(g, "=planes * 4", "stride != 1 || in_channels != planes * 4")
    g.add("add", "Add", [y, s])
    g.add("relu3", "ReLU", "add")
    return module("Bottleneck", "ResNet-50/101/152 residual block: 1×1 reduce to `planes`, 3×3 (carrying the "
                  "stride, torchvision's 'v1.5'), 1×1 expand to 4·planes, each with batch-norm, added to the input. "
                  "shortcut as in BasicBlock.",
                  {"in_channels": 64, "planes": 64, "stride": 1, "shortcut": "B"}, ["x"], [("out", "relu3")], g)


RESNET = {18: ("BasicBlock", [2, 2, 2, 2], 1, "11,689,512"), 34: ("BasicBlock", [3, 4, 6, 3], 1, "21,797,672"),
          50: ("Bottleneck", [3, 4, 6, 3], 4, "25,557,032"), 101: ("Bottleneck", [3, 4, 23, 3], 4, "44,549,160"),
          152: ("Bottleneck", [3, 8, 36, 3], 4, "60,192,808")}


def resnet(depth):
    block, counts, expansion, params = RESNET[depth]
    g = Graph()
    x = g.add("input", "Input", channels=3, height=224, width=224, resize=256, normalize="imagenet")
    x = g.seq(x, ("conv1", "Conv2d", conv(64, 7, 2, 3, bias=False)), ("bn1", "BatchNorm2d", {}), ("relu", "ReLU", {}),
              ("maxpool", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}))
    inplanes = 64
    for i, (n, planes) in enumerate(zip(counts, [64, 128, 256, 512])):
        stride = 1 if i == 0 else 2
        x = g.add("layer%d" % (i + 1), block, x, repeat=n,
                  repeat_attrs={"in_channels": planes * expansion, "stride": 1},
                  in_channels=inplanes, planes=planes, stride=stride)
        inplanes = planes * expansion
    x = g.seq(x, ("avgpool", "AdaptiveAvgPool2d", {"output_size": 1}), ("flatten", "Flatten", {}),
              ("fc", "Linear", {"out_features": 1000}))
    g.add("output", "Output", x, labels="imagenet1k")
    mods = [basic_block()] if block == "BasicBlock" else [bottleneck_block()]
    return document("ResNet-%d" % depth, "ResNet-%d (He et al., 2015) as in torchvision: a 7×7 stem, four stages of "
                    "%s modules repeated %s times, global average pooling and a 1000-way classifier; 3×224×224 input, "
                    "%s parameters. Shortcuts use option B (1×1 projection + batch-norm where the shape changes); "
                    "set a block's `shortcut` to \"A\" (zero padding) or \"C\" (projections everywhere) to compare.%s"
                    % (depth, block, "×".join(map(str, counts)), params,
                       " The stride sits on the 3×3 conv of the Bottleneck (torchvision's 'v1.5'; the paper put it on "
                       "the first 1×1)." if block == "Bottleneck" else ""), g, mods)


# ---------------------------------------------------------------- Xception (Keras)
def sep(out):
    return {"out_channels": out, "kernel_size": 3, "padding": "same", "bias": False}


KERAS_BN = {"eps": 0.001, "momentum": 0.01}


def xception_down_block():
    g = Graph()
    y = g.add("sepconv1_act", "ReLU", "x", when="first_relu")
    y = g.seq(y, ("sepconv1", "SeparableConv2d", sep("=filters1")), ("sepconv1_bn", "BatchNorm2d", KERAS_BN),
              ("sepconv2_act", "ReLU", {}), ("sepconv2", "SeparableConv2d", sep("=filters2")),
              ("sepconv2_bn", "BatchNorm2d", KERAS_BN),
              ("pool", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": "same"}))
    s = g.seq("x", ("shortcut", "Conv2d", {"out_channels": "=filters2", "kernel_size": 1, "stride": 2,
                                           "padding": "same", "bias": False}),
              ("shortcut_bn", "BatchNorm2d", KERAS_BN))
    g.add("add", "Add", [y, s])
    return module("XceptionDownBlock", "Xception entry/exit block: [ReLU] → separable 3×3 → BN → ReLU → separable "
                  "3×3 → BN → 3×3 max-pool stride 2, added to a 1×1 stride-2 convolution + BN of the input.",
                  {"filters1": 128, "filters2": 128, "first_relu": True}, ["x"], [("out", "add")], g)


def xception_middle_block():
    g = Graph()
    y = "x"
    for i in (1, 2, 3):
        y = g.seq(y, ("sepconv%d_act" % i, "ReLU", {}), ("sepconv%d" % i, "SeparableConv2d", sep(728)),
                  ("sepconv%d_bn" % i, "BatchNorm2d", KERAS_BN))
    g.add("add", "Add", [y, "x"])
    return module("XceptionMiddleBlock", "Xception middle-flow block on 19×19×728: three × (ReLU → separable 3×3 → "
                  "BN), added to the block input.", {}, ["x"], [("out", "add")], g)


def xception():
    g = Graph()
    x = g.add("input", "Input", channels=3, height=299, width=299, normalize="tf")
    x = g.seq(x, ("block1_conv1", "Conv2d", {"out_channels": 32, "kernel_size": 3, "stride": 2, "padding": "same",
                                             "bias": False}),
              ("block1_conv1_bn", "BatchNorm2d", KERAS_BN), ("block1_conv1_act", "ReLU", {}),
              ("block1_conv2", "Conv2d", {"out_channels": 64, "kernel_size": 3, "padding": "same", "bias": False}),
              ("block1_conv2_bn", "BatchNorm2d", KERAS_BN), ("block1_conv2_act", "ReLU", {}))
    x = g.add("block2", "XceptionDownBlock", x, filters1=128, filters2=128, first_relu=False)
    x = g.add("block3", "XceptionDownBlock", x, filters1=256, filters2=256)
    x = g.add("block4", "XceptionDownBlock", x, filters1=728, filters2=728)
    x = g.add("middle", "XceptionMiddleBlock", x, repeat=8)
    x = g.add("block13", "XceptionDownBlock", x, filters1=728, filters2=1024)
    x = g.seq(x, ("block14_sepconv1", "SeparableConv2d", sep(1536)), ("block14_sepconv1_bn", "BatchNorm2d", KERAS_BN),
              ("block14_sepconv1_act", "ReLU", {}), ("block14_sepconv2", "SeparableConv2d", sep(2048)),
              ("block14_sepconv2_bn", "BatchNorm2d", KERAS_BN), ("block14_sepconv2_act", "ReLU", {}),
              ("avg_pool", "GlobalAvgPool", {}), ("predictions", "Linear", {"out_features": 1000}),
              ("softmax", "Softmax", {}))
    g.add("output", "Output", x, labels="imagenet1k")
    return document("Xception", "Xception (Chollet, 2017) as in Keras: depthwise-separable convolutions throughout, "
                    "an entry flow (two convolutions and three down-sampling blocks of 128, 256 and 728 filters), a "
                    "middle flow of eight residual blocks on 19×19×728, and an exit flow to 2048 channels, global "
                    "average pooling and a 1000-way softmax; 3×299×299 input. 22,855,952 trainable parameters plus "
                    "54,528 batch-norm statistics (Keras' total: 22,910,480). Every convolution pads 'same' "
                    "(TensorFlow style: the extra row/column goes after), so the spatial sizes are 150 → 75 → 38 → "
                    "19 → 10; Keras' own first two convolutions are 'valid' (149, 147), which changes shapes but "
                    "not parameters.", g, [xception_down_block(), xception_middle_block()])


# ---------------------------------------------------------------- course MNIST nets
def inception_a():
    g = Graph()
    b1 = g.add("branch1x1", "Conv2d", "x", **conv(16, 1))
    b5 = g.add("branch5x5_1", "Conv2d", "x", **conv(16, 1))
    b5 = g.add("branch5x5_2", "Conv2d", b5, **conv(24, 5, padding=2))
    b3 = g.add("branch3x3_1", "Conv2d", "x", **conv(16, 1))
    b3 = g.add("branch3x3_2", "Conv2d", b3, **conv(24, 3, padding=1))
    b3 = g.add("branch3x3_3", "Conv2d", b3, **conv(24, 3, padding=1))
    bp = g.add("branch_pool_avg", "AvgPool2d", "x", kernel_size=3, stride=1, padding=1)
    bp = g.add("branch_pool", "Conv2d", bp, **conv(24, 1))
    g.add("cat", "Concat", [b1, b5, b3, bp], num_inputs=4)
    return module("InceptionA", "The course's Inception module: 1×1 (16); 1×1 → 5×5 (24); 1×1 → 3×3 → 3×3 (24); "
                  "3×3 average pool → 1×1 (24); concatenated to 88 channels, H×W unchanged.",
                  {"in_channels": 10}, ["x"], [("out", "cat")], g)


def mnist_inception():
    g = Graph()
    x = g.add("input", "Input", channels=1, height=28, width=28, normalize="mnist")
    x = g.seq(x, ("conv1", "Conv2d", conv(10, 5)), ("mp1", "MaxPool2d", {"kernel_size": 2}), ("relu1", "ReLU", {}))
    x = g.add("incep1", "InceptionA", x, in_channels=10)
    x = g.seq(x, ("conv2", "Conv2d", conv(20, 5, in_channels=88)), ("mp2", "MaxPool2d", {"kernel_size": 2}),
              ("relu2", "ReLU", {}))
    x = g.add("incep2", "InceptionA", x, in_channels=20)
    x = g.seq(x, ("flatten", "Flatten", {}), ("fc", "Linear", {"in_features": 1408, "out_features": 10}))
    g.add("output", "Output", x, labels="mnist")
    return document("MNIST Inception net", "The small Inception network of a widely followed PyTorch course on "
                    "MNIST (1×28×28): conv 1→10 5×5, max-pool, ReLU, InceptionA (88 channels), conv 88→20 5×5, "
                    "max-pool, ReLU, InceptionA, then a dense layer 1408 (= 88×4×4) → 10. 97,298 parameters. The "
                    "course's printed code feeds the 3×3 branch from branch5x5_1 by mistake; this preset is the "
                    "intended design (each branch has its own 1×1 reduction).", g, [inception_a()])


def residual_block():
    g = Graph()
    y = g.seq("x", ("conv1", "Conv2d", conv("=channels", 3, padding=1)), ("relu1", "ReLU", {}),
              ("conv2", "Conv2d", conv("=channels", 3, padding=1)))
    g.add("add", "Add", [y, "x"])
    g.add("relu2", "ReLU", "add")
    return module("ResidualBlock", "The course's residual block: y = ReLU(conv 3×3 (x)); y = conv 3×3 (y); "
                  "out = ReLU(x + y). Channels unchanged.", {"channels": 16}, ["x"], [("out", "relu2")], g)


def mnist_residual():
    g = Graph()
    x = g.add("input", "Input", channels=1, height=28, width=28, normalize="mnist")
    x = g.seq(x, ("conv1", "Conv2d", conv(16, 5)), ("relu1", "ReLU", {}), ("mp1", "MaxPool2d", {"kernel_size": 2}))
    x = g.add("rblock1", "ResidualBlock", x, channels=16)
    x = g.seq(x, ("conv2", "Conv2d", conv(32, 5)), ("relu2", "ReLU", {}), ("mp2", "MaxPool2d", {"kernel_size": 2}))
    x = g.add("rblock2", "ResidualBlock", x, channels=32)
    x = g.seq(x, ("flatten", "Flatten", {}), ("fc", "Linear", {"in_features": 512, "out_features": 10}))
    g.add("output", "Output", x, labels="mnist")
    return document("MNIST residual net", "The small residual network of a widely followed PyTorch course on MNIST "
                    "(1×28×28): conv 1→16 5×5, ReLU, max-pool, a residual block, conv 16→32 5×5, ReLU, max-pool, a "
                    "residual block, then a dense layer 512 (= 32×4×4) → 10. 41,514 parameters.", g, [residual_block()])


# ---------------------------------------------------------------- comparisons
def bottleneck_demo():
    d = Graph()
    d.add("conv5x5", "Conv2d", "x", **conv(32, 5, padding=2, bias=False))
    direct = module("Direct5x5", "A 5×5 convolution 192 → 32.", {}, ["x"], [("out", "conv5x5")], d)
    b = Graph()
    b.seq("x", ("reduce1x1", "Conv2d", conv(16, 1, bias=False)), ("conv5x5", "Conv2d", conv(32, 5, padding=2, bias=False)))
    bottle = module("Bottleneck5x5", "A 1×1 convolution 192 → 16, then the 5×5 convolution 16 → 32.", {}, ["x"],
                    [("out", "conv5x5")], b)
    g = Graph()
    g.add("input", "Input", channels=192, height=28, width=28)
    g.add("direct", "Direct5x5", "input")
    g.add("bottleneck", "Bottleneck5x5", "input")
    # Side by side into one Output (a run returns one tensor): channels 0–31 direct, 32–63 bottleneck.
    g.add("both", "Concat", ["direct", "bottleneck"])
    g.add("output", "Output", "both")
    return document("1×1 bottleneck demo", "GoogLeNet's motivation in numbers: on a 192×28×28 input, a 5×5 "
                    "convolution to 32 channels costs 5·5·28·28·192·32 = 120,422,400 multiply-accumulates; reducing to "
                    "16 channels with a 1×1 convolution first costs 28·28·192·16 + 5·5·28·28·16·32 = 12,443,648, about "
                    "a tenth, for the same output shape. (A widely copied course text prints 12,433,648.) Compare the "
                    "two: netwright-cli compare presets/bottleneck_demo.netw --nodes direct bottleneck. Biases are "
                    "left out so the parameter counts are the weights alone.", g, [direct, bottle])


def resnet_blocks_256():
    g = Graph()
    g.add("input", "Input", channels=256, height=56, width=56)
    g.add("basic", "BasicBlock", "input", in_channels=256, planes=256)
    g.add("bottleneck", "Bottleneck", "input", in_channels=256, planes=64)
    return document("BasicBlock vs Bottleneck at 256 channels", "Weights: 2·(3·3·256·256) = 1,179,648 vs "
                    "16,384 + 36,864 + 16,384 = 69,632.", g, [basic_block(), bottleneck_block()])


def separable_vs_standard():
    g = Graph()
    g.add("input", "Input", channels=3, height=224, width=224)
    g.add("standard", "Conv2d", "input", **conv(64, 3, padding=1, bias=False))
    g.add("separable", "SeparableConv2d", "input", out_channels=64, kernel_size=3, padding=1)
    return document("3×3 conv 3→64 vs separable", "1,728 weights vs 27 + 192 = 219.", g)


PRESETS = {
    "lenet5": lenet5, "alexnet": alexnet, "vgg16": lambda: vgg(16), "vgg19": lambda: vgg(19),
    "googlenet": googlenet, "resnet18": lambda: resnet(18), "resnet34": lambda: resnet(34),
    "resnet50": lambda: resnet(50), "resnet101": lambda: resnet(101), "resnet152": lambda: resnet(152),
    "xception": xception, "mnist_inception": mnist_inception, "mnist_residual": mnist_residual,
    "bottleneck_demo": bottleneck_demo,
}
FIXTURES = {"resnet_blocks_256": resnet_blocks_256, "separable_vs_standard": separable_vs_standard}


def write(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    for name, make in PRESETS.items():
        write(os.path.join(ROOT, "presets", name + ".netw"), make())
    for name, make in FIXTURES.items():
        write(os.path.join(ROOT, "tests", "data", name + ".netw"), make())
    print("wrote %d presets and %d fixtures" % (len(PRESETS), len(FIXTURES)), file=sys.stderr)


if __name__ == "__main__":
    main()
