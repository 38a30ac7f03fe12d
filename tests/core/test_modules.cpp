// Module expansion: hierarchical names, repeats, parameters, conditional nodes (shortcut options).
#include <gtest/gtest.h>

#include "helpers.h"

using namespace nw;
using namespace nw::test;

TEST(Modules, RepeatsAreNamedLikeTorchvision) {
    Analyzed a = analyzePreset("resnet50");
    for (const char* name : {"layer1.0.conv1", "layer1.0.downsample.0", "layer1.0.downsample.1", "layer1.2.conv3",
                             "layer3.5.bn3", "layer4.0.downsample.0", "layer4.2.relu3"})
        EXPECT_GE(a.flat.find(name), 0) << name;
    // Projections only where the shape changes (option B): first block of each stage.
    EXPECT_LT(a.flat.find("layer1.1.downsample.0"), 0);
    EXPECT_LT(a.flat.find("layer2.1.downsample.0"), 0);
    EXPECT_EQ(a.node("layer2.0.conv2").outputs[0], (Shape{1, 128, 28, 28}));  // stride on the 3×3 (v1.5)
    EXPECT_EQ(a.node("layer2.0.conv1").outputs[0], (Shape{1, 128, 56, 56}));
    EXPECT_EQ(a.flat.nodes[static_cast<size_t>(a.flat.find("layer3.4.conv2"))].origin, "layer3");
    EXPECT_EQ(a.doc.graph.nodes.size(), 13u);  // input, stem (4), 4 stages, head (3), output: collapsed in the document
}

TEST(Modules, NestedModulesGiveNestedNames) {
    Analyzed a = analyzePreset("googlenet");
    EXPECT_GE(a.flat.find("inception3a.branch2.1.conv"), 0);
    EXPECT_GE(a.flat.find("inception5b.branch4.1.bn"), 0);
    EXPECT_EQ(a.node("inception3a.branch3.1.conv").weights[0].shape, (Shape{32, 16, 3, 3}));  // the "5×5" quirk
}

static Document blockNet(const std::string& shortcut) {
    Document doc = loadPreset("resnet18");
    for (auto& n : doc.graph.nodes)
        if (n.kind == "BasicBlock") n.attrs["shortcut"] = shortcut;
    return doc;
}

TEST(Modules, ShortcutOptionsABC) {
    Analyzed b = analyzeDocument(blockNet("B"));
    Analyzed a = analyzeDocument(blockNet("A"));
    Analyzed c = analyzeDocument(blockNet("C"));
    for (const Analyzed* x : {&a, &b, &c}) EXPECT_EQ(x->analysis.errorCount(), 0u) << x->allDiagnostics();
    EXPECT_EQ(b.analysis.totals.trainable, 11'689'512);
    // Option A: no projections at all, zero padding where the shape changes.
    EXPECT_LT(a.flat.find("layer2.0.downsample.0"), 0);
    EXPECT_GE(a.flat.find("layer2.0.shortcut_pad"), 0);
    EXPECT_LT(a.flat.find("layer2.1.shortcut_pad"), 0);
    EXPECT_EQ(a.node("layer2.0.shortcut_pad").outputs[0], (Shape{1, 128, 28, 28}));
    // B's three projections: 64→128, 128→256, 256→512 (1×1 convs + BN gamma/beta).
    int64_t projections = 64 * 128 + 2 * 128 + 128 * 256 + 2 * 256 + 256 * 512 + 2 * 512;
    EXPECT_EQ(b.analysis.totals.trainable - a.analysis.totals.trainable, projections);
    // C projects in every block: eight blocks instead of three.
    EXPECT_GE(c.flat.find("layer1.0.downsample.0"), 0);
    EXPECT_GE(c.flat.find("layer4.1.downsample.0"), 0);
    int64_t identityProjections = (64 * 64 + 128) * 2 + (128 * 128 + 256) + (256 * 256 + 512) + (512 * 512 + 1024);
    EXPECT_EQ(c.analysis.totals.trainable - b.analysis.totals.trainable, identityProjections);
}

TEST(Modules, ConditionMustBeBoolean) {
    Analyzed a = analyzeText(R"(
      "modules": [{"name": "M", "params": {"n": 2}, "inputs": ["x"], "outputs": [{"name": "out", "node": "r"}],
                   "nodes": [{"id": "r", "kind": "ReLU", "when": "n + 1"}], "edges": [{"from": "x", "to": "r"}]}],
      "nodes": [{"id": "in", "kind": "Input"}, {"id": "m", "kind": "M"}], "edges": [{"from": "in", "to": "m"}])");
    EXPECT_NE(a.find("is not true or false"), nullptr) << a.allDiagnostics();
}

TEST(Modules, RepeatNeedsOneInputOneOutput) {
    Analyzed a = analyzeText(R"("nodes": [{"id": "in", "kind": "Input"}, {"id": "cat", "kind": "Concat", "repeat": 3}],
      "edges": [])");
    EXPECT_NE(a.find("only nodes with one input and one output can repeat"), nullptr) << a.allDiagnostics();
}

TEST(Modules, RepeatedPrimitivesChain) {
    Analyzed a =
        analyzeText(R"("nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 4, "height": 64, "width": 64}},
        {"id": "down", "kind": "Conv2d", "repeat": 3, "attrs": {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1},
         "repeat_attrs": {"out_channels": 16}}],
      "edges": [{"from": "in", "to": "down"}])");
    EXPECT_EQ(a.allDiagnostics(), "");
    EXPECT_EQ(a.shape("down.0"), (Shape{1, 8, 32, 32}));
    EXPECT_EQ(a.shape("down.2"), (Shape{1, 16, 8, 8}));
    EXPECT_EQ(a.node("down.1").weights[0].shape, (Shape{16, 8, 3, 3}));
}

TEST(Modules, UnknownModuleOutputNodeIsReported) {
    Analyzed a = analyzeText(R"(
      "modules": [{"name": "M", "inputs": ["x"], "outputs": [{"name": "out", "node": "nope"}],
                   "nodes": [{"id": "r", "kind": "ReLU"}], "edges": [{"from": "x", "to": "r"}]}],
      "nodes": [{"id": "in", "kind": "Input"}, {"id": "m", "kind": "M"}, {"id": "after", "kind": "ReLU"}],
      "edges": [{"from": "in", "to": "m"}, {"from": "m", "to": "after"}])");
    EXPECT_NE(a.find("output 'out' names no node 'nope'"), nullptr) << a.allDiagnostics();
}

// Provenance: every flat layer knows its path through the document, down to the module-body node.
TEST(Modules, FlatNodesKnowTheirPathThroughNestedModules) {
    Analyzed a = analyzePreset("googlenet");
    const int i = a.flat.find("inception3a.branch2.1.conv");
    ASSERT_GE(i, 0);
    const std::vector<PathStep> path = a.flat.path(i);
    ASSERT_EQ(path.size(), 3u);
    EXPECT_EQ(path[0], (PathStep{"", "inception3a", -1}));
    EXPECT_EQ(path[1], (PathStep{"Inception", "branch2.1", -1}));  // body ids may hold dots (torchvision's)
    EXPECT_EQ(path[2], (PathStep{"BasicConv2d", "conv", -1}));
    const FlatNode& n = a.flat.nodes[static_cast<size_t>(i)];
    const FlatInstance& inner = a.flat.instances[static_cast<size_t>(n.instance)];
    EXPECT_EQ(inner.name, "inception3a.branch2.1");
    EXPECT_EQ(inner.module, "BasicConv2d");
    // The body node it belongs to in the Inception instance around it, and in its own instance.
    EXPECT_EQ(a.flat.bodyNodeIn(i, -1), "inception3a");          // the top level
    EXPECT_EQ(a.flat.bodyNodeIn(i, inner.parent), "branch2.1");  // inside the Inception instance
    EXPECT_EQ(a.flat.bodyNodeIn(i, n.instance), "conv");
    int other = -1;
    for (size_t k = 0; k < a.flat.instances.size(); ++k)
        if (a.flat.instances[k].name == "inception3b") other = static_cast<int>(k);
    ASSERT_GE(other, 0);
    EXPECT_EQ(a.flat.bodyNodeIn(i, other), "");  // not inside that instance

    Analyzed r = analyzePreset("resnet50");
    const int c = r.flat.find("layer3.4.conv2");
    const std::vector<PathStep> rp = r.flat.path(c);
    ASSERT_EQ(rp.size(), 2u);
    EXPECT_EQ(rp[0], (PathStep{"", "layer3", 4}));  // copy 4 of the repeated stage
    EXPECT_EQ(rp[1], (PathStep{"Bottleneck", "conv2", -1}));
    // A top-level layer is its own path.
    EXPECT_EQ(r.flat.path(r.flat.find("conv1")), (std::vector<PathStep>{{"", "conv1", -1}}));
}
