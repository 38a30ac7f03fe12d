// Group into module, expand, repeat, copy/paste: the network they leave computes the same thing.
#include <gtest/gtest.h>

#include <set>

#include "analysis.h"
#include "flatten.h"
#include "helpers.h"
#include "layout.h"
#include "restructure.h"

using namespace nw;
using namespace nw::test;

namespace {

// Weight names and shapes of every layer: what must survive a restructuring unchanged.
std::map<std::string, Shape> weightShapes(const Analyzed& a) {
    std::map<std::string, Shape> out;
    for (size_t i = 0; i < a.flat.nodes.size(); ++i)
        for (const WeightSpec& w : a.analysis.nodes[i].weights) out[a.flat.nodes[i].name + "." + w.name] = w.shape;
    return out;
}

void expectSameNetwork(const Analyzed& a, const Analyzed& b) {
    EXPECT_EQ(b.analysis.errorCount(), 0u) << b.allDiagnostics();
    EXPECT_EQ(a.analysis.totals.params, b.analysis.totals.params);
    EXPECT_EQ(a.analysis.totals.macs, b.analysis.totals.macs);
    EXPECT_EQ(a.analysis.outputShape, b.analysis.outputShape);
}

}  // namespace

TEST(Restructure, GroupThreeNodesIntoAModuleAndExpandItBack) {
    const Document doc = loadPreset("lenet5");
    const Analyzed before = analyzeDocument(doc);
    Restructured grouped = groupIntoModule(doc, {"conv1", "relu1", "pool1"}, "Stem");
    ASSERT_TRUE(grouped.doc) << grouped.error;
    ASSERT_EQ(grouped.nodes, std::vector<std::string>{"stem"});
    EXPECT_EQ(grouped.doc->graph.nodes.size(), doc.graph.nodes.size() - 2);
    const ModuleDef* stem = grouped.doc->findModule("Stem");
    ASSERT_NE(stem, nullptr);
    EXPECT_EQ(stem->inputs, std::vector<std::string>{"in"});
    ASSERT_EQ(stem->outputs.size(), 1u);
    EXPECT_EQ(stem->outputs[0].node, "pool1");
    EXPECT_EQ(stem->body.nodes.size(), 3u);
    const Analyzed mid = analyzeDocument(*grouped.doc);
    expectSameNetwork(before, mid);
    EXPECT_EQ(mid.shape("stem.pool1"), (Shape{1, 6, 14, 14}));

    Restructured expanded = expandInstance(*grouped.doc, "stem");
    ASSERT_TRUE(expanded.doc) << expanded.error;
    EXPECT_EQ(expanded.nodes, (std::vector<std::string>{"stem.conv1", "stem.relu1", "stem.pool1"}));
    const Analyzed after = analyzeDocument(*expanded.doc);
    expectSameNetwork(before, after);
    EXPECT_EQ(weightShapes(mid), weightShapes(after));  // the names the flattener gave are kept
    for (const std::string& id : expanded.nodes) EXPECT_TRUE(expanded.doc->graph.find(id)->pos) << id;
}

TEST(Restructure, GroupingRefusesInputsOutputsAndSelectionsThatWouldMakeACycle) {
    const Document doc = loadPreset("lenet5");
    EXPECT_NE(groupIntoModule(doc, {"input", "conv1"}, "M").error.find("input"), std::string::npos);
    Restructured gap = groupIntoModule(doc, {"conv1", "pool1"}, "M");
    EXPECT_FALSE(gap.doc);
    EXPECT_NE(gap.error.find("relu1 lies on a path between selected nodes"), std::string::npos) << gap.error;
    EXPECT_NE(groupIntoModule(doc, {"conv1"}, "Conv2d").error.find("already a module or layer kind"),
              std::string::npos);
    EXPECT_NE(groupIntoModule(doc, {"conv1"}, "two words").error.find("one word"), std::string::npos);
}

TEST(Restructure, ExpandingAnInceptionEvaluatesItsFormulasAndKeepsWeightNames) {
    const Document doc = loadPreset("googlenet");
    const Analyzed before = analyzeDocument(doc);
    Restructured r = expandInstance(doc, "inception3a");
    ASSERT_TRUE(r.doc) << r.error;
    EXPECT_GT(r.nodes.size(), 4u);
    for (const Node& n : r.doc->graph.nodes)
        for (const auto& [k, v] : n.attrs)
            if (const auto* s = std::get_if<std::string>(&v)) {
                EXPECT_NE(s->rfind('=', 0), 0u) << n.id << "." << k;
            }
    const Analyzed after = analyzeDocument(*r.doc);
    expectSameNetwork(before, after);
    EXPECT_EQ(weightShapes(before), weightShapes(after));
    EXPECT_NE(expandInstance(doc, "maxpool1").error.find("not a module instance"), std::string::npos);
}

TEST(Restructure, RepeatChangesTheCopiesOfAnInstanceOnly) {
    const Document doc = loadPreset("lenet5");
    Restructured grouped = groupIntoModule(doc, {"fc2", "relu4"}, "Dense84");
    ASSERT_TRUE(grouped.doc) << grouped.error;
    EXPECT_NE(setRepeat(doc, "fc1", 3).error.find("only module instances repeat"), std::string::npos);
    Restructured twice = setRepeat(*grouped.doc, "dense84", 2);
    ASSERT_TRUE(twice.doc) << twice.error;
    const Analyzed a = analyzeDocument(*twice.doc);
    // fc2 takes its in_features from the input: the second copy is 84 → 84 (+ bias).
    EXPECT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
    EXPECT_EQ(a.analysis.totals.params, analyzeDocument(doc).analysis.totals.params + 84 * 84 + 84);
    EXPECT_EQ(a.shape("dense84.1.fc2"), (Shape{1, 84}));
    Restructured once = setRepeat(*twice.doc, "dense84", 1);
    ASSERT_TRUE(once.doc);
    EXPECT_EQ(once.doc->graph.find("dense84")->repeat, 0);
}

TEST(Restructure, CopyAndPasteCarryModulesAndMakeFreshIds) {
    const Document google = loadPreset("googlenet");
    Document clip = copyNodes(google, {"inception3a", "inception3b", "maxpool3"});
    EXPECT_EQ(clip.graph.nodes.size(), 3u);
    EXPECT_EQ(clip.graph.edges.size(), 2u);  // 3a → 3b → maxpool3; wires from outside stay behind
    ASSERT_EQ(clip.modules.size(), 2u);      // Inception and the BasicConv2d it uses
    Document lenet = loadPreset("lenet5");
    Restructured once = pasteNodes(lenet, clip, {40, 40});
    ASSERT_TRUE(once.doc) << once.error;
    EXPECT_EQ(once.nodes, (std::vector<std::string>{"inception3a", "inception3b", "maxpool3"}));
    Restructured twice = pasteNodes(*once.doc, clip, {80, 80});
    ASSERT_TRUE(twice.doc);
    EXPECT_EQ(twice.nodes, (std::vector<std::string>{"inception3a2", "inception3b2", "maxpool32"}));
    EXPECT_EQ(twice.doc->modules.size(), 2u);  // the same definitions are not added twice
    EXPECT_EQ(twice.doc->graph.edges.size(), lenet.graph.edges.size() + 4);
    // A different module under a taken name is renamed, and its instances follow.
    Document other = clip;
    other.modules[1].doc = "changed";
    Restructured renamed = pasteNodes(*once.doc, other, {0, 0});
    ASSERT_TRUE(renamed.doc);
    EXPECT_NE(renamed.doc->findModule(other.modules[1].name + "2"), nullptr);
}

TEST(Restructure, ReplaceDocumentUndoesExactly) {
    Document doc = loadPreset("lenet5");
    const Document original = doc;
    Restructured grouped = groupIntoModule(doc, {"conv2", "relu2"}, "Pair");
    ASSERT_TRUE(grouped.doc);
    ReplaceDocument edit(*grouped.doc, "Group into Pair");
    edit.apply(doc);
    EXPECT_EQ(doc, *grouped.doc);
    edit.revert(doc);
    EXPECT_EQ(doc, original);
    edit.apply(doc);
    EXPECT_EQ(doc, *grouped.doc);
}

TEST(Restructure, EditsInsideAModuleChangeEveryInstance) {
    Document doc = loadPreset("googlenet");
    const Analyzed before = analyzeDocument(doc);
    // A different eps for BasicConv2d's batch-norm: every instance (inside every Inception) follows.
    // Then a structural change in the module's view.
    InModule edit("BasicConv2d", std::make_unique<SetAttribute>("bn", "eps", 0.01));
    edit.apply(doc);
    const Analyzed changed = analyzeDocument(doc);
    int bns = 0;
    for (const FlatNode& n : changed.flat.nodes)
        if (n.kind->name == "BatchNorm2d") {
            EXPECT_DOUBLE_EQ(n.view().f("eps"), 0.01) << n.name;
            ++bns;
        }
    EXPECT_GT(bns, 50);
    edit.revert(doc);
    EXPECT_EQ(doc, loadPreset("googlenet"));
    // Group the body's conv and bn into a module of their own, in the module's view.
    Document view = moduleView(doc, "BasicConv2d");
    Restructured r = groupIntoModule(view, {"conv", "bn"}, "ConvBn", doc.findModule("BasicConv2d"));
    ASSERT_TRUE(r.doc) << r.error;
    Document grouped = fromModuleView(doc, "BasicConv2d", *r.doc);
    EXPECT_NE(grouped.findModule("ConvBn"), nullptr);
    EXPECT_EQ(grouped.findModule("BasicConv2d")->body.nodes.size(), 2u);  // convbn, relu
    EXPECT_EQ(grouped.findModule("ConvBn")->params.size(), 4u);           // out_channels, kernel_size, stride, padding
    EXPECT_EQ(std::get<std::string>(grouped.findModule("BasicConv2d")->body.find("convbn")->attrs.at("stride")),
              "=stride");
    const Analyzed after = analyzeDocument(grouped);
    expectSameNetwork(before, after);
}

// Expanding a repeated instance splits it into its copies (ResNet-50's layer3, Bottleneck ×6 with a
// stride-2 first copy), with the flattener's names: the network and its weight names are unchanged,
// and a copy then expands into its layers.
TEST(Restructure, ARepeatedInstanceSplitsIntoItsCopies) {
    Document doc = loadPreset("resnet50");
    layoutDocument(doc);  // as the window has it
    const Analyzed before = analyzeDocument(doc);
    Restructured r = expandInstance(doc, "layer3");
    ASSERT_TRUE(r.doc) << r.error;
    EXPECT_EQ(r.nodes,
              (std::vector<std::string>{"layer3.0", "layer3.1", "layer3.2", "layer3.3", "layer3.4", "layer3.5"}));
    EXPECT_FALSE(r.doc->graph.find("layer3"));
    const Analyzed after = analyzeDocument(*r.doc);
    EXPECT_EQ(after.analysis.errorCount(), 0u) << after.allDiagnostics();
    expectSameNetwork(before, after);
    EXPECT_EQ(weightShapes(before), weightShapes(after));
    // In sequence, each below the one before, and what came after moved down.
    const Graph& g = r.doc->graph;
    for (int i = 1; i < 6; ++i) {
        const std::string prev = "layer3." + std::to_string(i - 1), next = "layer3." + std::to_string(i);
        EXPECT_NE(std::find(g.edges.begin(), g.edges.end(), Edge{.from = prev, .to = next}), g.edges.end()) << next;
        EXPECT_GT(g.find(next)->pos->y, g.find(prev)->pos->y);
    }
    ASSERT_TRUE(g.find("layer4")->pos);
    EXPECT_GT(g.find("layer4")->pos->y, g.find("layer3.5")->pos->y);
    Restructured deeper = expandInstance(*r.doc, "layer3.0");
    ASSERT_TRUE(deeper.doc) << deeper.error;
    expectSameNetwork(before, analyzeDocument(*deeper.doc));
}
