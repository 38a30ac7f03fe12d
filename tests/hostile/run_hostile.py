#!/usr/bin/env python3
"""Hostile and careless input, through the CLI and the window's headless mode.

Every case is a file (made here; the large ones sparse or generated) and a command. Each run must
end with exit status 0, 1 or 2 as the case says — never a signal, never a time-out — print a
message that names the file and, where the case has one, the place, never say "internal error",
and stay inside an address-space limit (`ulimit -v`), so unbounded reads and allocations fail
the test instead of the machine.

usage: run_hostile.py NETWRIGHT_CLI NETWRIGHT_GUI SOURCE_DIR WORK_DIR
"""
import json
import os
import resource
import struct
import subprocess
import sys
import time

CLI, GUI, SRC, WORK = sys.argv[1:5]
LENET = os.path.join(SRC, "presets", "lenet5.netw")
RESNET = os.path.join(SRC, "presets", "resnet18.netw")
SAMPLE = os.path.join(SRC, "resources", "samples", "fashion_sneaker.png")
LIMIT_CLI = 3 << 30  # bytes of address space: far more than any case needs, far less than a runaway read
LIMIT_GUI = 6 << 30
TIMEOUT = 30

os.makedirs(WORK, exist_ok=True)


def path(name):
    return os.path.join(WORK, name)


def write(name, data):
    p = path(name)
    with open(p, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return p


def netw(nodes, edges=(), modules=None, **extra):
    doc = {"format": "netwright", "version": 1, "name": "hostile", "nodes": nodes, "edges": list(edges)}
    if modules:
        doc["modules"] = modules
    doc.update(extra)
    return json.dumps(doc)


def inp(c=1, h=8, w=8, id="in"):
    return {"id": id, "kind": "Input", "attrs": {"channels": c, "height": h, "width": w}}


def edge(a, b, **ports):
    e = {"from": a, "to": b}
    e.update(ports)
    return e


def safetensors(tensors, pad_to=None):
    """tensors: name -> (dtype, shape, bytes). pad_to: make the file that long (sparse)."""
    header, data, offset = {}, b"", 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def npy(descr, shape, data=b"", fortran=False):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data


def png_header(w, h):
    ihdr = struct.pack(">II", w, h) + b"\x08\x02\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0\0\0\0"


# ---------------------------------------------------------------- the corpus
cases = []  # (name, argv, expected exit, [substrings the message must contain], gui?)


def case(name, argv, code, expect, gui=False):
    cases.append((name, argv, code, expect, gui))


def netw_case(name, file, expect, loads, place=None):
    """A broken .netw file through validate, summary --json, run, layout and the window's headless mode:
    each exits 1 naming the file (a file that does not load) or the node (`place`) and the cause. A
    file that loads but is invalid still lays out, and opens in the window with its problems."""
    base = os.path.basename(file)
    named = [base] if not loads else []
    text_place = [place + ":"] if place else []
    json_place = ['"node": "' + place] if place else []
    case(name + "/validate", [CLI, "validate", file], 1, named + text_place + expect)
    case(name + "/summary-json", [CLI, "summary", file, "--json"], 1, json_place + expect)
    case(name + "/run", [CLI, "run", file, "--image", SAMPLE], 1, named + text_place + expect)
    case(name + "/layout", [CLI, "layout", file, "-o", path(name + ".out.netw")], 0 if loads else 1, named)
    if not loads:
        case(name + "/window", [GUI, file, "--screenshot", path(name + ".png")], 1, named + expect, gui=True)


# Files that are not .netw text at all.
os.makedirs(path("a_directory.netw"), exist_ok=True)
if not os.path.exists(path("fifo.netw")):
    os.mkfifo(path("fifo.netw"))
sparse = path("sparse_40g.netw")
with open(sparse, "wb") as f:
    f.truncate(40 << 30)  # 40 GB that takes no disk
for name, file, expect in [
    ("directory", path("a_directory.netw"), ["is a directory"]),
    ("dev_zero", "/dev/zero", ["not a regular file"]),
    ("fifo", path("fifo.netw"), ["not a regular file"]),
    ("sparse_40g", sparse, ["is 40.0 GiB, more than the 256.0 MiB"]),
    ("empty_file", write("empty.netw", ""), ["not valid JSON"]),
    ("truncated", write("truncated.netw", open(LENET).read()[:700]), ["not valid JSON", "byte"]),
    ("binary", write("binary.netw", bytes(range(256)) * 16), ["not valid JSON"]),
    ("deep_nesting", write("deep.netw", "[" * 100000), ["nests deeper than 64"]),
    ("number_overflow_pos", write("overflow_pos.netw", netw([inp()]).replace('"attrs"', '"pos": [1e400, 0], "attrs"')),
     ["number overflow parsing '1e400'", "line 1, column"]),
    ("number_overflow_attr", write("overflow_attr.netw", netw([inp(), {"id": "c", "kind": "Conv2d", "attrs": {"stride": 1}}],
                                                               [edge("in", "c")]).replace('"stride": 1', '"stride": -1e999')),
     ["number overflow"]),
    ("nan_literal", write("nan.netw", netw([inp()]).replace('"channels": 1', '"channels": NaN')), ["not valid JSON"]),
    ("newer_version", write("newer.netw", netw([inp()]).replace('"version": 1', '"version": 99')), ["/version", "newer Netwright"]),
    ("not_netwright", write("other.netw", '{"format": "onnx"}'), ["/format"]),
    ("pos_out_of_range", write("pos.netw", netw([dict(inp(), pos=[1e300, 0])])), ["/nodes/0 (in)/pos"]),
]:
    netw_case(name, file, expect, loads=False)

# Files that load but describe graphs that cannot run.
for name, text, expect, place in [
    ("unknown_kind", netw([inp(), {"id": "c", "kind": "Conv2D"}], [edge("in", "c")]), ["did you mean 'Conv2d'"], "c"),
    ("cycle", netw([inp(), {"id": "a", "kind": "Add"}, {"id": "b", "kind": "ReLU"}],
                   [edge("in", "a", to_port="in0"), edge("b", "a", to_port="in1"), edge("a", "b")]), ["cycle", "a → b → a"], None),
    ("huge_channels", netw([inp(c=10 ** 12)]), ["channels = 1000000000000 is outside"], "in"),
    ("huge_spatial", netw([inp(c=3, h=10 ** 9, w=10 ** 9), {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 10 ** 6}}],
                          [edge("in", "c")]), ["height = 1000000000 is outside"], "in"),
    ("duplicate_ids", netw([inp(), inp()]), ["'in' is used twice"], "in"),
    ("empty_graph", netw([]), ["the graph is empty"], None),
    ("no_input", netw([{"id": "r", "kind": "ReLU"}]), ["no Input node"], None),
    ("name_clash", netw([inp(), {"id": "b", "kind": "Blk"}, {"id": "b.0", "kind": "ReLU"}],
                        [edge("in", "b"), edge("b", "b.0")],
                        [{"name": "Blk", "params": {}, "inputs": ["x"], "outputs": [{"name": "y", "node": "0"}],
                          "nodes": [{"id": "0", "kind": "ReLU"}], "edges": [edge("x", "0")]}]), ["both named 'b.0'"], "b.0"),
    ("module_named_relu", netw([inp(), {"id": "r", "kind": "ReLU"}], [edge("in", "r")],
                               [{"name": "ReLU", "params": {}, "inputs": ["x"], "outputs": [{"name": "y", "node": "t"}],
                                 "nodes": [{"id": "t", "kind": "Tanh"}], "edges": [edge("x", "t")]}]),
     ["built-in layer kind"], "ReLU"),
    ("self_module", netw([inp(), {"id": "m", "kind": "Loop"}], [edge("in", "m")],
                         [{"name": "Loop", "params": {}, "inputs": ["x"], "outputs": [{"name": "y", "node": "again"}],
                           "nodes": [{"id": "again", "kind": "Loop"}], "edges": [edge("x", "again")]}]), ["instantiates itself"], "m.again"),
    ("repeat_bomb", netw([inp(), {"id": "m", "kind": "Many", "repeat": 100000}], [edge("in", "m")],
                         [{"name": "Many", "params": {}, "inputs": ["x"], "outputs": [{"name": "y", "node": "r"}],
                           "nodes": [{"id": "r", "kind": "ReLU", "repeat": 100000}], "edges": [edge("x", "r")]}]),
     ["expands to more than"], None),
    ("formula_div_zero", netw([inp(), {"id": "m", "kind": "Blk", "attrs": {"k": 0}}], [edge("in", "m")],
                              [{"name": "Blk", "params": {"k": 1}, "inputs": ["x"], "outputs": [{"name": "y", "node": "c"}],
                                "nodes": [{"id": "c", "kind": "Conv2d", "attrs": {"out_channels": "=4 / k"}}],
                                "edges": [edge("x", "c")]}]), ["division by zero"], "m.c"),
]:
    netw_case(name, write(name + ".netw", text), expect, loads=True, place=place)

# Valid graphs that are too large to run on this machine: validated at once, refused at plan time.
big = write("params_32g.netw", netw([inp(c=131072, h=1, w=1), {"id": "flat", "kind": "Flatten"},
                                     {"id": "fc", "kind": "Linear", "attrs": {"in_features": 131072, "out_features": 65536}},
                                     {"id": "out", "kind": "Output"}], [edge("in", "flat"), edge("flat", "fc"), edge("fc", "out")]))
case("params_32g/validate", [CLI, "validate", big], 0, ["valid"])
case("params_32g/bench", [CLI, "bench", big, "--memory-budget", "2G"], 1, ["weights 32.0 GiB", "budget of", "--memory-budget"])
case("params_32g/run-json", [CLI, "run", big, "--input", write("x131072.npy", npy("<f4", "(1, 131072, 1, 1)", b"\0" * 4 * 131072)),
                              "--json"], 1, ['"error"', "weights 32.0 GiB"])
case("params_32g/window", [GUI, big, "--screenshot", path("big.png")], 0, [], gui=True)
case("huge_batch", [CLI, "bench", RESNET, "--batch", "100000000"], 1, ["input:", "more than 17,179,869,184 elements"])
# Exports: an invalid network, an output that cannot be written, a path that is a file, an opset not written.
cycle_file = write("export_cycle.netw", netw([inp(), {"id": "a", "kind": "Add"}, {"id": "b", "kind": "ReLU"}],
                                             [edge("in", "a", to_port="in0"), edge("b", "a", to_port="in1"), edge("a", "b")]))
case("export/invalid", [CLI, "export", cycle_file, "--onnx", path("cycle.onnx")], 1, ["cycle"])
case("export/unwritable", [CLI, "export", LENET, "--onnx", path("missing_dir/x.onnx")], 1, ["missing_dir"])
os.makedirs(path("existing_project"), exist_ok=True)
write("existing_project/model.py", "# someone's own model\n")
case("export/pytorch_over_a_project", [CLI, "export", LENET, "--pytorch", path("existing_project")], 1,
     ["existing_project already holds model.py", "--force"])
case("export/pytorch_into_file", [CLI, "export", LENET, "--pytorch", SAMPLE], 1, ["is not a directory"])
case("export/old_opset", [CLI, "export", LENET, "--onnx", path("x.onnx"), "--opset", "9"], 2, ["--opset is 13 to 17"])
case("large_batch", [CLI, "bench", RESNET, "--batch", "20000", "--memory-budget", "2G"], 1, ["activations and scratch", "budget of"])

# Weights.
def weights_case(name, file, expect, code=1):
    case("weights_" + name, [CLI, "run", LENET, "--image", SAMPLE, "--weights", file], code, expect)


weights_case("directory", WORK, ["is a directory"])
weights_case("dev_zero", "/dev/zero", ["not a regular file"])
weights_case("short", write("short.safetensors", b"\x01\x02"), ["short.safetensors", "too short"])
weights_case("header_too_long", write("long_header.safetensors", struct.pack("<Q", 1 << 40) + b"{}"), ["exceeds the file"])
weights_case("header_not_json", write("bad_header.safetensors", struct.pack("<Q", 4) + b"{{{{"), ["not a JSON object"])
unrelated = write("unrelated_24g.safetensors", safetensors({}))
header = json.dumps({"other.weight": {"dtype": "F32", "shape": [6, 1024, 1024, 1024], "data_offsets": [0, 24 << 30]}}).encode()
with open(unrelated, "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header)
    f.truncate(8 + len(header) + (24 << 30))  # 24 GiB of tensors the graph has no use for (sparse)
weights_case("unrelated_24g", unrelated, ["unexpected other.weight 6×1024×1024×1024", "missing conv1.weight"])
# A torchvision checkpoint's num_batches_tracked (I64) is accepted and ignored with a note — the run succeeds.
lenet_shapes = {"conv1.weight": [6, 1, 5, 5], "conv1.bias": [6], "conv2.weight": [16, 6, 5, 5], "conv2.bias": [16],
                "fc1.weight": [120, 400], "fc1.bias": [120], "fc2.weight": [84, 120], "fc2.bias": [84],
                "fc3.weight": [10, 84], "fc3.bias": [10]}


def zeros(shape):
    n = 1
    for d in shape:
        n *= d
    return ("F32", shape, b"\0" * 4 * n)


ok = {k: zeros(s) for k, s in lenet_shapes.items()}
weights_case("with_batch_counter", write("counter.safetensors", safetensors(dict(ok, **{"bn.num_batches_tracked": ("I64", [], b"\0" * 8)}))),
             ["1 num_batches_tracked counter(s) ignored"], code=0)
nan = dict(ok, **{"fc1.bias": ("F32", [120], struct.pack("<f", float("nan")) * 120)})
weights_case("nan", write("nan.safetensors", safetensors(nan)), ["fc1.bias contains NaN"])
weights_case("int_weights", write("int.safetensors", safetensors(dict(ok, **{"fc3.bias": ("I32", [10], b"\0" * 40)}))),
             ["fc3.bias", "dtype I32"])

# Inputs (.npy).
def input_case(name, file, expect):
    case("input_" + name, [CLI, "run", LENET, "--input", file], 1, expect)


input_case("scalar", write("scalar.npy", npy("<f4", "()", b"\0" * 4)), ["scalar.npy", "a scalar"])
input_case("dev_zero", "/dev/zero", ["not a regular file"])
input_case("directory", WORK, ["is a directory"])
input_case("declares_more", write("declares.npy", npy("<f4", "(1, 1, 32000, 32000)")), ["declares.npy", "data bytes"])
input_case("int64", write("int64.npy", npy("<i8", "(1, 1, 32, 32)", b"\0" * 8192)), ["dtype '<i8'"])
# Labels for `grad` (.npy class indices): each bad file named, with what is wrong with it.
def grad_case(name, labels, expect, x=None):
    x = x or write("grad_x.npy", npy("<f4", "(2, 1, 32, 32)", b"\0" * 8192))
    case("grad_" + name, [CLI, "grad", LENET, "--input", x, "--labels", labels, "-o", path("g.safetensors")], 1, expect)


grad_case("fractional", write("frac.npy", npy("<f4", "(2,)", struct.pack("<2f", 1.5, 2))), ["frac.npy", "label 1.5", "index 0"])
grad_case("negative", write("neg.npy", npy("<i8", "(2,)", struct.pack("<2q", 3, -1))), ["neg.npy", "index 1"])
grad_case("beyond_classes", write("ten.npy", npy("<i8", "(2,)", struct.pack("<2q", 3, 10))), ["label 10 of sample 1", "10 output classes"])
grad_case("count", write("three.npy", npy("<i4", "(3,)", struct.pack("<3i", 1, 2, 3))), ["three.npy holds 3 labels", "2 samples"])
grad_case("matrix", write("matrix.npy", npy("<i8", "(2, 1)", struct.pack("<2q", 1, 2))), ["matrix.npy", "N class indices"])
grad_case("integer_input", write("two.npy", npy("<i8", "(2,)", struct.pack("<2q", 1, 2))), ["grad_int_x.npy", "holds integers"],
          x=write("grad_int_x.npy", npy("<i8", "(2, 1, 32, 32)", b"\0" * 16384)))
case("grad_no_labels", [CLI, "grad", LENET, "--input", path("grad_x.npy"), "-o", path("g.safetensors")], 2, ["--labels"])

# Training data for `train` and `evaluate`: each problem named with its file.
def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


IMAGES = write("train-images", idx([4, 28, 28], bytes(4 * 784)))
LABELS = write("train-labels", idx([4], bytes([1, 2, 3, 4])))


def train_case(name, data, expect, code=1, extra=()):
    case("train_" + name, [CLI, "train", LENET, "--data", data, "-o", path("t.safetensors"), "--epochs", "1"] + list(extra),
         code, expect)


train_case("missing_file", "idx:%s,%s" % (path("nope-images"), LABELS), ["nope-images: no such file"])
train_case("wrong_magic", "idx:%s,%s" % (SAMPLE, LABELS), [os.path.basename(SAMPLE), "not an idx file"])
train_case("labels_beyond_output", "idx:%s,%s" % (IMAGES, write("big-labels", idx([4], bytes([1, 2, 12, 4])))),
           ["has labels up to 12", "10 classes"])
train_case("label_count", "idx:%s,%s" % (IMAGES, write("few-labels", idx([3], bytes([1, 2, 3])))), ["4 images", "3 labels"])
train_case("truncated", "idx:%s,%s" % (write("cut-images", idx([4, 28, 28], bytes(1000))), LABELS),
           ["cut-images", "holds 1000 data bytes"])
os.makedirs(path("no_classes"), exist_ok=True)
train_case("empty_folder", path("no_classes"), ["no_classes", "holds no class folders"])
os.makedirs(path("bad_images/cat"), exist_ok=True)
write("bad_images/cat/x.png", b"\x89PNG\r\n\x1a\n broken")
train_case("undecodable_image", path("bad_images"), ["bad_images/cat/x.png"])
train_case("unknown_optimizer", "idx:%s,%s" % (IMAGES, LABELS), ["--optimizer is sgd, adam or adamw"], 2,
           ["--optimizer", "lbfgs"])
train_case("resume_not_checkpoint", "idx:%s,%s" % (IMAGES, LABELS), ["not a Netwright training checkpoint"], 1,
           ["--resume", write("plain.safetensors", safetensors(ok))])
case("evaluate_missing", [CLI, "evaluate", LENET, "--data", "idx:%s,%s" % (IMAGES, path("nope-labels"))], 1,
     ["nope-labels: no such file"])

input_case("fortran", write("fortran.npy", npy("<f4", "(1, 1, 32, 32)", b"\0" * 4096, fortran=True)), ["Fortran"])
input_case("too_small", write("small.npy", npy("<f4", "(1, 1, 4, 4)", b"\0" * 64)), ["conv1.in:", "kernel height 5 is larger"])
input_case("nan", write("nan_in.npy", npy("<f4", "(1, 1, 32, 32)", struct.pack("<f", float("inf")) * 1024)), ["NaN or infinite"])

# Images, through the CLI and the window's Run panel.
for name, file, expect in [
    ("dev_zero", "/dev/zero", ["not a regular file"]),
    ("directory", WORK, ["is a directory"]),
    ("gif", write("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ["anim.gif", "it is a GIF"]),
    ("huge_png", write("huge.png", png_header(100000, 100000)), ["huge.png", "100000×100000 pixels is too large"]),
    ("truncated_png", write("truncated.png", open(SAMPLE, "rb").read()[:200]), ["truncated.png", "not a readable PNG image: it is truncated"]),
    ("text", write("notes.png", "just text"), ["notes.png", "not a PNG, JPEG or BMP"]),
]:
    case("image_" + name + "/cli", [CLI, "run", LENET, "--image", file], 1, expect)
    case("image_" + name + "/cli-json", [CLI, "run", LENET, "--image", file, "--json"], 1, ['"error"'] + expect[-1:])
    case("image_" + name + "/window", [GUI, LENET, "--run", file, "--screenshot", path("img.png")], 1, expect[-1:], gui=True)

# ONNX models: broken, cut short, and declaring tensors no machine holds.
TWO_BLOCKS = open(os.path.join(SRC, "tests", "data", "two_blocks.onnx"), "rb").read()
os.makedirs(path("folder.onnx"), exist_ok=True)
onnx_cases = [
    ("truncated", write("cut.onnx", TWO_BLOCKS[: len(TWO_BLOCKS) // 2]), ["cut.onnx"]),
    ("text", write("notes.onnx", "just text, not protobuf"), ["notes.onnx", "not an ONNX model"]),
    ("empty", write("empty.onnx", b""), ["empty.onnx"]),
    ("directory", path("folder.onnx"), ["is a directory"]),
]
try:
    import onnx
    from onnx import TensorProto, helper

    def onnx_file(name, nodes, inits, inputs=None):
        inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])]
        graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 4)], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        return write(name, model.SerializeToString())

    # 10¹¹ weights declared, none stored.
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[100000, 100000, 3, 3], raw_data=b"\0" * 4)
    onnx_cases.append(("huge_weights", onnx_file("huge.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [huge]),
                       ["huge.onnx", "conv", "larger than 2³¹ elements"]))
    short = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, 3, 3, 3], raw_data=b"\0" * 12)
    onnx_cases.append(("short_weights", onnx_file("short.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [short]),
                       ["conv", "12 bytes of data for 108 elements"]))
    onnx_cases.append(("unsupported", onnx_file("ops.onnx", [helper.make_node("Transpose", ["x"], ["t"], name="t1"),
                                                             helper.make_node("Resize", ["t"], ["y"], name="r1")], []),
                       ["ops.onnx", "Transpose (1×): 't1'", "Resize (1×): 'r1'", "Supported:"]))
    onnx_cases.append(("dynamic_size", onnx_file("dyn.onnx", [helper.make_node("Relu", ["x"], ["y"], name="r")], [],
                                                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])]),
                       ["dynamic spatial size"]))
except ImportError:
    print("python's onnx is not installed: the generated ONNX cases are left out")
for name, file, expect in onnx_cases:
    case("onnx_" + name + "/summary", [CLI, "summary", file], 1, expect)
    case("onnx_" + name + "/run-json", [CLI, "run", file, "--image", SAMPLE, "--json"], 1, ['"error"'] + expect[-1:])
    case("onnx_" + name + "/import", [CLI, "import", file, "-o", path("imported.netw")], 1, expect[-1:])
    case("onnx_" + name + "/window", [GUI, file, "--screenshot", path("onnx.png")], 1, expect[-1:], gui=True)

# Options.
for name, args, expect in [
    ("threads_100000", ["bench", LENET, "--threads", "100000"], ["--threads is at most 256"]),
    ("threads_2_31", ["bench", LENET, "--threads", "2147483648"], ["--threads is at most 256"]),
    ("threads_huge", ["bench", LENET, "--threads", "99999999999999"], ["--threads"]),
    ("runs_huge", ["bench", LENET, "--runs", "999999999999"], ["--runs is at most"]),
    ("budget_words", ["run", LENET, "--image", SAMPLE, "--memory-budget", "lots"], ["--memory-budget needs a size"]),
    ("no_command", [], ["no command given"]),
    ("unknown_option", ["run", LENET, "--imgae", SAMPLE], ["unknown option --imgae"]),
]:
    case("option_" + name, [CLI] + args, 2, expect)


# ---------------------------------------------------------------- running them
def limit(bytes_):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (bytes_, bytes_))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NETWRIGHT_RECOVERY_DIR=path("recovery"),
           XDG_CONFIG_HOME=path("config"), XDG_DATA_HOME=path("data"), OMP_NUM_THREADS="2")
env.pop("NETWRIGHT_MEMORY_BUDGET", None)
failures, started = [], time.time()
for name, argv, code, expect, gui in cases:
    t0 = time.time()
    try:
        p = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL,
                           preexec_fn=limit(LIMIT_GUI if gui else LIMIT_CLI))
    except subprocess.TimeoutExpired:
        failures.append("%s: timed out after %d s" % (name, TIMEOUT))
        continue
    out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    problems = []
    if p.returncode < 0:
        problems.append("killed by signal %d" % -p.returncode)
    elif p.returncode not in (0, 1, 2):
        problems.append("exit status %d (not 0, 1 or 2)" % p.returncode)
    elif code is not None and p.returncode != code:
        problems.append("exit status %d, expected %d" % (p.returncode, code))
    if "internal error" in out:
        problems.append('said "internal error"')
    for text in expect:
        if text not in out:
            problems.append("message lacks %r" % text)
    if "--json" in argv and p.returncode == 1 and p.stdout:
        try:
            json.loads(p.stdout)
        except ValueError:
            problems.append("--json printed something that is not JSON")
    if problems:
        failures.append("%s (%.1f s): %s\n    $ %s\n    %s" % (name, time.time() - t0, "; ".join(problems), " ".join(argv),
                                                            out.strip().replace("\n", "\n    ")[:600]))
print("%d hostile cases in %.0f s" % (len(cases), time.time() - started))
for f in failures:
    print("FAIL " + f)
print("%d passed, %d failed" % (len(cases) - len(failures), len(failures)))
sys.exit(1 if failures else 0)
