#!/usr/bin/python3
"""ONNX import against PyTorch, on real models exported at test time (nothing large is committed).

Usage: check_onnx_import.py NETWRIGHT_CLI WORK_DIR [MODEL ...]

Each model (torchvision's, with random weights and random batch-norm statistics, in eval mode) is
exported with torch.onnx.export keeping BatchNormalization (TrainingMode.PRESERVE) and a dynamic
batch, at an opset between 11 and 17, and checked:
  - `netwright-cli summary model.onnx --json`: trainable and non-trainable parameters and MACs equal
    torch's exactly (MACs as Netwright counts them: convolutions and dense layers);
  - `netwright-cli run model.onnx --input x.npy --output y.npy` on a batch of 2 equals torch's output,
    max|Δ| ≤ 1e-4 · max|y|;
  - `netwright-cli import` writes a document whose weights are the state_dict's names, and ResNet-50's
    opens with its modules recovered (at most 20 top-level nodes).
Exits 1 if any check fails.
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402

# name: (constructor, input C×H×W, opset)
MODELS = {
    "alexnet": (lambda: torchvision.models.alexnet(), (3, 224, 224), 11),
    "vgg11": (lambda: torchvision.models.vgg11(), (3, 224, 224), 13),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(), (3, 224, 224), 12),
    "googlenet": (lambda: torchvision.models.googlenet(aux_logits=False, init_weights=True), (3, 224, 224), 13),
    "resnet18": (lambda: torchvision.models.resnet18(), (3, 224, 224), 17),
    "resnet50": (lambda: torchvision.models.resnet50(), (3, 224, 224), 13),
    "densenet121": (lambda: torchvision.models.densenet121(), (3, 224, 224), 14),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), (3, 224, 224), 13),
    "mobilenet_v3_small": (lambda: torchvision.models.mobilenet_v3_small(), (3, 224, 224), 17),
    "mnist_inception": (lambda: torch_models.MnistInception(), (1, 28, 28), 13),
    "mnist_residual": (lambda: torch_models.MnistResidual(), (1, 28, 28), 15),
}


def randomize(model, seed):
    """Random weights everywhere, and batch-norm affine and statistics that are not 1/0."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return model.eval()


def torch_counts(model, shape):
    macs = []

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            macs.append(output[0].numel() * module.in_channels // module.groups * kh * kw)
        elif isinstance(module, nn.Linear):
            macs.append(module.in_features * module.out_features)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros((1,) + shape))
    for h in handles:
        h.remove()
    trainable = sum(p.numel() for p in model.parameters())
    frozen = sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))
    return {"trainable_params": trainable, "non_trainable_params": frozen, "macs": sum(macs)}


def cli(exe, *args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True)


def check(name, exe, work):
    build, shape, opset = MODELS[name]
    torch.manual_seed(0)
    model = randomize(build(), 1)
    onnx_path = os.path.join(work, name + ".onnx")
    x = torch.randn((2,) + shape, generator=torch.Generator().manual_seed(2))
    torch.onnx.export(model, x, onnx_path, opset_version=opset, training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
    problems = []
    s = cli(exe, "summary", onnx_path, "--json")
    if s.returncode != 0:
        return ["summary failed (%d): %s%s" % (s.returncode, s.stdout[-2000:], s.stderr[-2000:])]
    totals = json.loads(s.stdout)["totals"]
    want = torch_counts(model, shape)
    for key, value in want.items():
        if totals[key] != value:
            problems.append("%s: netwright %s, torch %s" % (key, format(totals[key], ","), format(value, ",")))
    x_path, y_path = os.path.join(work, name + "_x.npy"), os.path.join(work, name + "_y.npy")
    np.save(x_path, x.numpy())
    r = cli(exe, "run", onnx_path, "--input", x_path, "--output", y_path, "--json")
    if r.returncode != 0:
        problems.append("run failed (%d): %s%s" % (r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    else:
        with torch.no_grad():
            y = model(x).numpy()
        got = np.load(y_path)
        if got.shape != y.shape:
            problems.append("output shape %s, torch %s" % (got.shape, y.shape))
        else:
            err, scale = float(np.abs(got - y).max()), float(np.abs(y).max())
            if err > 1e-4 * scale:
                problems.append("output max|Δ| %.3g > 1e-4 · max|y| (%.3g)" % (err, scale))
    netw = os.path.join(work, name + ".netw")
    i = cli(exe, "import", onnx_path, "-o", netw)
    if i.returncode != 0:
        problems.append("import failed (%d): %s%s" % (i.returncode, i.stdout[-2000:], i.stderr[-2000:]))
    else:
        doc = json.load(open(netw))
        top = len(doc["nodes"])
        # The weights the document names are the state_dict's, so a torch checkpoint loads as is.
        header_len = int.from_bytes(open(os.path.join(work, name + ".safetensors"), "rb").read(8), "little")
        with open(os.path.join(work, name + ".safetensors"), "rb") as f:
            f.seek(8)
            names = set(json.loads(f.read(header_len))) - {"__metadata__"}
        state = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
        if names != state:
            problems.append("weight names differ from the state_dict: only netwright %s; only torch %s"
                            % (sorted(names - state)[:5], sorted(state - names)[:5]))
        if name == "resnet50" and (top > 20 or not doc.get("modules")):
            problems.append("ResNet-50 opens with %d top-level nodes and %d modules (want ≤ 20 and some)"
                            % (top, len(doc.get("modules", []))))
        rr = cli(exe, "run", netw, "--input", x_path, "--output", y_path + ".netw.npy")
        if rr.returncode != 0:
            problems.append("run of the imported .netw failed: %s" % rr.stderr[-1000:])
        elif r.returncode == 0 and not np.array_equal(np.load(y_path + ".netw.npy"), np.load(y_path)):
            problems.append("the imported .netw with its weights gives other outputs than the .onnx")
    print("%-20s opset %2d  params %11s  MACs %14s  %s" % (
        name, opset, format(totals["trainable_params"] + totals["non_trainable_params"], ","),
        format(totals["macs"], ","), "ok" if not problems else "FAILED"))
    return problems


def main():
    exe, work = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or list(MODELS)
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(2)
    failed = 0
    for name in names:
        problems = check(name, exe, work)
        for p in problems:
            print("  " + p)
        failed += bool(problems)
    print("%d of %d models imported exactly" % (len(names) - failed, len(names)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
