"""`netwright-cli render`: the SVG holds every node and wire of the drawn graph and nothing else (no
minimap, no selection marks); --expand draws a module instance's layers; the PNG is the whole network
at the asked scale; bad requests say why. Usage: check_render.py NETWRIGHT_CLI SOURCE_DIR WORK_DIR"""
import json
import os
import re
import subprocess
import sys

from PIL import Image

cli, source, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)


def render(net, out, *extra, ok=True):
    r = subprocess.run([cli, "render", os.path.join(source, "presets", net + ".netw"), "-o", out, *extra],
                       capture_output=True, text=True, timeout=120)
    assert (r.returncode == 0) == ok, (net, extra, r.returncode, r.stderr)
    assert ok or r.stderr.strip(), "a refusal says why"
    return r


def counts(svg_path):
    text = open(svg_path, encoding="utf-8").read()
    return {tag: len(re.findall("<" + tag + r"\b", text)) for tag in ("rect", "path", "circle", "image")}, text


def top_level(net):
    doc = json.load(open(os.path.join(source, "presets", net + ".netw"), encoding="utf-8"))
    return len(doc["nodes"]), len(doc["edges"])


for net in ("googlenet", "lenet5", "resnet50"):
    svg = os.path.join(work, net + ".svg")
    render(net, svg)
    c, text = counts(svg)
    nodes, edges = top_level(net)
    # One box per node, a curve and an arrow head per wire; nothing else drawn as boxes or images.
    assert c["rect"] == nodes, (net, c, nodes)
    assert c["path"] == 2 * edges, (net, c, edges)
    assert c["image"] == 0, (net, c)
    assert "stroke-dasharray" not in text, net  # no selection or drag marks
    for node in json.load(open(os.path.join(source, "presets", net + ".netw")))["nodes"]:
        assert ">" + node["id"] + "<" in text or ">" + node["id"] in text, (net, node["id"])

# --expand: an Inception instance becomes its layers (four branches into one Concat).
svg = os.path.join(work, "expanded.svg")
render("googlenet", svg, "--expand", "inception3a", "--direction", "LR")
c, text = counts(svg)
nodes, edges = top_level("googlenet")
assert c["rect"] > nodes + 4, c
assert "inception3a.branch1" in text, "the expanded layers are named as the flattener names them"

# PNG: the whole network, at the scale asked; twice the scale, twice the size.
small, large = os.path.join(work, "small.png"), os.path.join(work, "large.png")
render("lenet5", small, "--scale", "0.5")
render("lenet5", large, "--scale", "1")
a, b = Image.open(small), Image.open(large)
assert abs(b.size[0] - 2 * a.size[0]) <= 2 and abs(b.size[1] - 2 * a.size[1]) <= 2, (a.size, b.size)
assert b.size[1] > b.size[0], "LeNet-5 runs top to bottom"
assert len(set(b.convert("RGB").getdata())) > 20, "something is drawn"

# Refusals: an unknown node to expand, a bad extension, a bad scale, a bad direction.
assert "cannot expand nope: no node 'nope'" in render("lenet5", os.path.join(work, "x.png"), "--expand", "nope", ok=False).stderr
render("lenet5", os.path.join(work, "x.gif"), ok=False)
render("lenet5", os.path.join(work, "x.png"), "--scale", "0", ok=False)
render("lenet5", os.path.join(work, "x.png"), "--direction", "UP", ok=False)
print("render: ok")
