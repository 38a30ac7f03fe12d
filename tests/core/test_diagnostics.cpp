// Every diagnostic the validator gives, each from a graph broken on purpose.
#include <gtest/gtest.h>

#include <limits>
#include <utility>

#include "edits.h"
#include "helpers.h"
#include "report.h"

using namespace nw;
using namespace nw::test;

static const char* kInput = R"({"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 32, "width": 32}})";

// `rest` holds the remaining nodes, closes the node list and adds the edges.
static std::string nodes(const std::string& rest) { return std::string(R"("nodes": [)") + kInput + "," + rest; }

TEST(Diagnostics, CycleNamesTheNodesOnIt) {
    Analyzed a = analyzeText(nodes(R"(
        {"id": "a", "kind": "Add"}, {"id": "b", "kind": "ReLU"}, {"id": "c", "kind": "ReLU"}, {"id": "after", "kind": "ReLU"}],
      "edges": [{"from": "in", "to": "a", "to_port": "in0"}, {"from": "c", "to": "a", "to_port": "in1"},
                {"from": "a", "to": "b"}, {"from": "b", "to": "c"}, {"from": "c", "to": "after"})") +
                             "]");
    const Diagnostic* d = a.find("cycle");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_NE(d->message.find("a → b → c → a"), std::string::npos) << d->message;
    EXPECT_EQ(a.analysis.errorCount(), 1u) << a.allDiagnostics();
    EXPECT_EQ(a.shape("in"), (Shape{1, 3, 32, 32}));  // the rest still has shapes
    EXPECT_FALSE(a.node("after").known);
}

TEST(Diagnostics, UnconnectedRequiredInput) {
    Analyzed a = analyzeText(nodes(R"({"id": "cat", "kind": "Concat"}], "edges": [{"from": "in", "to": "cat"}])"));
    const Diagnostic* d = a.find("is not connected");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->node, "cat");
    EXPECT_EQ(d->port, "in1");
}

TEST(Diagnostics, ConcatWithDifferentHW) {
    Analyzed a = analyzeText(nodes(R"(
        {"id": "p", "kind": "MaxPool2d"}, {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 8, "kernel_size": 1}},
        {"id": "cat", "kind": "Concat"}],
      "edges": [{"from": "in", "to": "p"}, {"from": "in", "to": "c"},
                {"from": "c", "to": "cat", "to_port": "in0"}, {"from": "p", "to": "cat", "to_port": "in1"}])"));
    const Diagnostic* d = a.find("concat inputs differ in H×W");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_EQ(d->node, "cat");
    EXPECT_EQ(d->port, "in1");
    EXPECT_NE(d->message.find("(32×32)"), std::string::npos) << d->message;
    EXPECT_NE(d->message.find("(16×16)"), std::string::npos) << d->message;
    EXPECT_EQ(a.shape("p"), (Shape{1, 3, 16, 16}));
}

TEST(Diagnostics, AddWithDifferentShapesSuggestsAShortcut) {
    Analyzed a = analyzeText(nodes(R"(
        {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 16, "kernel_size": 3, "stride": 2, "padding": 1}},
        {"id": "sum", "kind": "Add"}],
      "edges": [{"from": "c", "to": "sum", "to_port": "in0"}, {"from": "in", "to": "sum", "to_port": "in1"},
                {"from": "in", "to": "c"}])"));
    const Diagnostic* d = a.find("add inputs differ in shape");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_NE(d->message.find("on the in1 branch add a 1×1 Conv2d to 16 channels with stride 2"), std::string::npos)
        << d->message;
    EXPECT_NE(d->message.find("ZeroPadChannels to 16 with stride 2"), std::string::npos) << d->message;
}

TEST(Diagnostics, LinearInFeaturesSaysTheRightValueAndItsFactors) {
    Document doc = loadPreset("mnist_inception");
    doc.graph.find("fc")->attrs["in_features"] = int64_t{1400};
    Analyzed a = analyzeDocument(doc);
    const Diagnostic* d = a.find("in_features");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_EQ(d->node, "fc");
    EXPECT_EQ(d->message, "expects in_features = 1408 = 88×4×4, got 1400");
    EXPECT_EQ(a.analysis.errorCount(), 1u);
    // Everything upstream is still counted.
    EXPECT_EQ(a.node("incep2.cat").counts.params, 0);
    EXPECT_EQ(a.node("conv2").counts.params, 88 * 20 * 25 + 20);
}

TEST(Diagnostics, LinearOnAFeatureMapSuggestsFlatten) {
    Analyzed a = analyzeText(nodes(R"({"id": "fc", "kind": "Linear"}], "edges": [{"from": "in", "to": "fc"}])"));
    const Diagnostic* d = a.find("insert a Flatten");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_NE(d->message.find("in_features would be 3072 = 3×32×32"), std::string::npos) << d->message;
}

TEST(Diagnostics, KernelLargerThanPaddedInput) {
    Analyzed a = analyzeText(nodes(R"({"id": "c", "kind": "Conv2d", "attrs": {"kernel_size": [40, 3], "padding": 2}}],
      "edges": [{"from": "in", "to": "c"}])"));
    const Diagnostic* d = a.find("larger than the padded input");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_NE(d->message.find("kernel height 40 is larger than the padded input height 36 (32 + padding 4)"),
              std::string::npos)
        << d->message;
}

TEST(Diagnostics, GroupsMustDivideChannels) {
    Analyzed a = analyzeText(nodes(R"({"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 8, "groups": 2}}],
      "edges": [{"from": "in", "to": "c"}])"));
    const Diagnostic* d = a.find("groups = 2 does not divide in_channels = 3");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
}

TEST(Diagnostics, DeclaredInChannelsMustMatch) {
    Analyzed a = analyzeText(nodes(R"({"id": "c", "kind": "Conv2d", "attrs": {"in_channels": 4}}],
      "edges": [{"from": "in", "to": "c"}])"));
    const Diagnostic* d = a.find("in_channels is 4 but the input has 3 channels");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_NE(d->message.find("set in_channels = 3"), std::string::npos);
}

TEST(Diagnostics, AbsurdAttributeValuesAreRefusedWithTheirRange) {
    Analyzed a = analyzeText(nodes(R"({"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 1000000000000}},
                                       {"id": "r", "kind": "ReLU"}],
      "edges": [{"from": "in", "to": "c"}, {"from": "c", "to": "r"}])"));
    const Diagnostic* d = a.find("out_channels = 1000000000000 is outside [1, 1048576]");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_EQ(d->node, "c");
    EXPECT_FALSE(a.node("r").known);
}

TEST(Diagnostics, HugeTensorsAreErrorsNotPlans) {
    // Each size is within range, but the tensor would hold 2^20 · 2^16 · 2^16 elements.
    Analyzed a = analyzeText(
        R"("nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 1048576, "height": 65536, "width": 65536}}],
      "edges": [])");
    const Diagnostic* d = a.find("elements; check the sizes");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
}

TEST(Diagnostics, NonPositiveSizesAreReported) {
    Analyzed a = analyzeText(
        R"("nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 0, "width": 8}}], "edges": [])");
    EXPECT_NE(a.find("both be positive"), nullptr) << a.allDiagnostics();
    a = analyzeText(R"("nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 0}}], "edges": [])");
    EXPECT_NE(a.find("channels = 0 is outside"), nullptr) << a.allDiagnostics();
}

TEST(Diagnostics, CountOverflowIsDetected) {
    // 2^20 × 2^20 × 4096² weights overflow int64 — reported, not wrapped.
    // The tensor-size limit would stop this first; lift it so the counting itself is tested.
    AnalyzeOptions unlimited;
    unlimited.maxTensorElements = std::numeric_limits<int64_t>::max();
    Analyzed a = analyzeText(
        R"("nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 1048576, "height": 4096, "width": 4096}},
        {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 1048576, "kernel_size": 4096}}],
      "edges": [{"from": "in", "to": "c"}])",
        unlimited);
    EXPECT_NE(a.find("overflows 64-bit"), nullptr) << a.allDiagnostics();
    EXPECT_GE(a.analysis.totals.params, 0);
}

TEST(Diagnostics, UnknownKindAttributeAndPortWithSuggestions) {
    Analyzed a =
        analyzeText(nodes(R"({"id": "c", "kind": "Conv2D"}, {"id": "d", "kind": "Conv2d", "attrs": {"kernal_size": 3}},
                                       {"id": "e", "kind": "ReLU"}],
      "edges": [{"from": "in", "to": "d"}, {"from": "in", "to": "e", "to_port": "input"}, {"from": "ghost", "to": "e"}])"));
    EXPECT_NE(a.find("unknown layer kind or module 'Conv2D' (did you mean 'Conv2d'?)"), nullptr) << a.allDiagnostics();
    EXPECT_NE(a.find("Conv2d has no attribute 'kernal_size' (did you mean 'kernel_size'?)"), nullptr);
    EXPECT_NE(a.find("'e' has no input port 'input' (inputs: in)"), nullptr);
    EXPECT_NE(a.find("edge from unknown node 'ghost'"), nullptr);
}

TEST(Diagnostics, InputConnectedTwice) {
    Analyzed a = analyzeText(nodes(R"({"id": "r", "kind": "ReLU"}],
      "edges": [{"from": "in", "to": "r", "to_port": "in"}, {"from": "in", "to": "r", "to_port": "in"}])"));
    EXPECT_NE(a.find("connected more than once"), nullptr) << a.allDiagnostics();
}

TEST(Diagnostics, DuplicateIdsAndMissingInput) {
    Analyzed a = analyzeText(R"("nodes": [{"id": "r", "kind": "ReLU"}, {"id": "r", "kind": "ReLU"}], "edges": [])");
    EXPECT_NE(a.find("used twice"), nullptr);
    EXPECT_NE(a.find("no Input node"), nullptr);
}

TEST(Diagnostics, ModuleThatInstantiatesItselfIsRefused) {
    Analyzed a = analyzeText(R"(
      "modules": [{"name": "A", "inputs": ["x"], "outputs": [{"name": "out", "node": "b"}],
                   "nodes": [{"id": "b", "kind": "B"}], "edges": [{"from": "x", "to": "b"}]},
                  {"name": "B", "inputs": ["x"], "outputs": [{"name": "out", "node": "a"}],
                   "nodes": [{"id": "a", "kind": "A"}], "edges": [{"from": "x", "to": "a"}]}],
      "nodes": [{"id": "in", "kind": "Input"}, {"id": "top", "kind": "A"}],
      "edges": [{"from": "in", "to": "top"}])");
    const Diagnostic* d = a.find("instantiates itself");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_NE(d->message.find("A → B → A"), std::string::npos) << d->message;
    EXPECT_EQ(d->node, "top.b.a");
}

TEST(Diagnostics, ExponentialRepeatsStopAtTheNodeBudget) {
    // Each level repeats the one below 100 times: 100^4 nodes if nothing stopped it.
    std::string mods;
    for (int level = 1; level <= 4; ++level) {
        std::string inner = level == 1 ? "ReLU" : "L" + std::to_string(level - 1);
        mods += std::string(level > 1 ? "," : "") + R"({"name": "L)" + std::to_string(level) +
                R"(", "inputs": ["x"], "outputs": [{"name": "out", "node": "r"}], "nodes": [{"id": "r", "kind": ")" +
                inner + R"(", "repeat": 100}], "edges": [{"from": "x", "to": "r"}]})";
    }
    LoadResult r = parseNetw(R"({"format": "netwright", "version": 1, "modules": [)" + mods +
                             R"(], "nodes": [{"id": "in", "kind": "Input"}, {"id": "top", "kind": "L4"}],
      "edges": [{"from": "in", "to": "top"}]})");
    ASSERT_TRUE(r.document) << diagnosticsText(r.errors);
    FlattenOptions small;  // the default budget behaves the same, only slower to reach
    small.maxNodes = 100'000;
    FlatGraph flat = flatten(*r.document, small);
    bool reported = false;
    for (const auto& d : flat.diagnostics) reported |= d.message.find("expands to more than") != std::string::npos;
    EXPECT_TRUE(reported) << diagnosticsText(flat.diagnostics);
    EXPECT_LE(flat.nodes.size(), small.maxNodes);
}

TEST(Diagnostics, FormulaErrorsNameTheNode) {
    Analyzed a = analyzeText(R"(
      "modules": [{"name": "M", "params": {"planes": 4}, "inputs": ["x"], "outputs": [{"name": "out", "node": "c"}],
                   "nodes": [{"id": "c", "kind": "Conv2d", "attrs": {"out_channels": "=plane * 4"}}],
                   "edges": [{"from": "x", "to": "c"}]}],
      "nodes": [{"id": "in", "kind": "Input"}, {"id": "m", "kind": "M", "attrs": {"planez": 3}}],
      "edges": [{"from": "in", "to": "m"}])");
    EXPECT_NE(a.find("module 'M' has no parameter 'planez' (did you mean 'planes'?)"), nullptr) << a.allDiagnostics();
    a = analyzeText(R"(
      "modules": [{"name": "M", "params": {"planes": 4}, "inputs": ["x"], "outputs": [{"name": "out", "node": "c"}],
                   "nodes": [{"id": "c", "kind": "Conv2d", "attrs": {"out_channels": "=plane * 4"}}],
                   "edges": [{"from": "x", "to": "c"}]}],
      "nodes": [{"id": "in", "kind": "Input"}, {"id": "m", "kind": "M"}],
      "edges": [{"from": "in", "to": "m"}])");
    const Diagnostic* d = a.find("unknown name 'plane'");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_EQ(d->node, "m.c");
}

TEST(Diagnostics, UnconnectedModuleInputIsNamedOnce) {
    Analyzed a = analyzeText(R"(
      "modules": [{"name": "M", "inputs": ["x"], "outputs": [{"name": "out", "node": "r"}],
                   "nodes": [{"id": "r", "kind": "ReLU"}, {"id": "s", "kind": "ReLU"}],
                   "edges": [{"from": "x", "to": "r"}, {"from": "x", "to": "s"}]}],
      "nodes": [{"id": "in", "kind": "Input"}, {"id": "m", "kind": "M"}], "edges": [])");
    const Diagnostic* d = a.find("input 'x' of M instance 'm' is not connected");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    EXPECT_EQ(a.analysis.errorCount(), 1u) << a.allDiagnostics();
}

TEST(Diagnostics, PoolPaddingBeyondHalfTheKernelWarnsAndBeyondTheKernelFails) {
    Analyzed a =
        analyzeText(nodes(R"({"id": "p", "kind": "MaxPool2d", "attrs": {"kernel_size": 3, "stride": 1, "padding": 2}}],
      "edges": [{"from": "in", "to": "p"}])"));
    EXPECT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
    EXPECT_NE(a.find("exceeds half the kernel 3×3; PyTorch would refuse"), nullptr) << a.allDiagnostics();
    EXPECT_EQ(a.shape("p"), (Shape{1, 3, 34, 34}));
    a = analyzeText(nodes(R"({"id": "p", "kind": "AvgPool2d", "attrs": {"kernel_size": 3, "padding": 3}}],
      "edges": [{"from": "in", "to": "p"}])"));
    EXPECT_NE(a.find("is not smaller than the kernel 3×3: windows would see only padding"), nullptr)
        << a.allDiagnostics();
}

// The add's fix hint is checked: the suggested 1×1 convolution, inserted as it says, clears the
// error; where no stride can match the sizes (28×28 against 24×24) no convolution is suggested.
TEST(Diagnostics, AddShapeHintsAreFixesThatWork) {
    const std::string broken = R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 32, "width": 32}},
        {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 16, "kernel_size": 3, "stride": 2, "padding": 1}},
        {"id": "sum", "kind": "Add"}],
      "edges": [{"from": "in", "to": "c"}, {"from": "c", "to": "sum", "to_port": "in0"}, {"from": "in", "to": "sum", "to_port": "in1"}])";
    Analyzed a = analyzeText(broken);
    const Diagnostic* d = a.find("add inputs differ in shape");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    ASSERT_NE(d->message.find("on the in1 branch add a 1×1 Conv2d to 16 channels with stride 2"), std::string::npos)
        << d->message;
    Analyzed fixed = analyzeText(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 32, "width": 32}},
        {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 16, "kernel_size": 3, "stride": 2, "padding": 1}},
        {"id": "proj", "kind": "Conv2d", "attrs": {"out_channels": 16, "kernel_size": 1, "stride": 2}},
        {"id": "sum", "kind": "Add"}],
      "edges": [{"from": "in", "to": "c"}, {"from": "c", "to": "sum", "to_port": "in0"}, {"from": "in", "to": "proj"},
                {"from": "proj", "to": "sum", "to_port": "in1"}])");
    EXPECT_EQ(fixed.analysis.errorCount(), 0u) << fixed.allDiagnostics();

    Analyzed mismatch = analyzeText(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 1, "height": 28, "width": 28}},
        {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 6, "kernel_size": 5}},
        {"id": "sum", "kind": "Add"}],
      "edges": [{"from": "in", "to": "c"}, {"from": "in", "to": "sum", "to_port": "in0"}, {"from": "c", "to": "sum", "to_port": "in1"}])");
    const Diagnostic* m = mismatch.find("add inputs differ in shape");
    ASSERT_NE(m, nullptr) << mismatch.allDiagnostics();
    EXPECT_EQ(m->message.find("1×1 Conv2d"), std::string::npos) << m->message;
    EXPECT_NE(m->message.find("no stride maps 28×28 onto 24×24"), std::string::npos) << m->message;
}

// Every fix the validator offers, over a corpus of broken graphs, is an edit that clears its error.
TEST(Diagnostics, EveryOfferedFixClearsItsError) {
    std::vector<std::pair<std::string, Document>> corpus;
    auto broken = [&](const std::string& name, const std::string& preset, const std::string& node,
                      const std::string& attr, AttrValue value) {
        Document doc = loadPreset(preset);
        doc.graph.find(node)->attrs[attr] = std::move(value);
        corpus.emplace_back(name, std::move(doc));
    };
    broken("lenet5 fc1 in_features", "lenet5", "fc1", "in_features", int64_t{401});
    broken("lenet5 conv2 in_channels", "lenet5", "conv2", "in_channels", int64_t{3});
    broken("resnet18 fc in_features", "resnet18", "fc", "in_features", int64_t{2048});
    broken("resnet18 bn1 num_features", "resnet18", "bn1", "num_features", int64_t{32});
    broken("mnist_inception fc", "mnist_inception", "fc", "in_features", int64_t{1400});
    broken("alexnet classifier.1", "alexnet", "classifier.1", "in_features", int64_t{9000});
    // A residual add whose branch changes size: the projection is inserted on the shortcut.
    corpus.emplace_back("residual without projection", analyzeText(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 16, "height": 32, "width": 32}},
        {"id": "c1", "kind": "Conv2d", "attrs": {"out_channels": 32, "kernel_size": 3, "stride": 2, "padding": 1}},
        {"id": "c2", "kind": "Conv2d", "attrs": {"out_channels": 32, "kernel_size": 3, "padding": 1}},
        {"id": "sum", "kind": "Add"}, {"id": "out", "kind": "Output"}],
      "edges": [{"from": "in", "to": "c1"}, {"from": "c1", "to": "c2"}, {"from": "in", "to": "sum"},
                {"from": "c2", "to": "sum"}, {"from": "sum", "to": "out"}])")
                                                           .doc);
    // An upsampling whose output_padding reaches the stride.
    corpus.emplace_back("transposed conv output_padding", analyzeText(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 4, "height": 8, "width": 8}},
        {"id": "up", "kind": "ConvTranspose2d", "attrs": {"out_channels": 4, "kernel_size": 4, "stride": 2, "output_padding": 3}},
        {"id": "out", "kind": "Output"}],
      "edges": [{"from": "in", "to": "up"}, {"from": "up", "to": "out"}])")
                                                              .doc);
    size_t fixes = 0;
    for (const auto& [name, doc] : corpus) {
        Analyzed a = analyzeDocument(doc);
        ASSERT_GT(a.analysis.errorCount(), 0u) << name;
        for (const Diagnostic& d : a.analysis.diagnostics) {
            std::unique_ptr<Edit> fix = fixEdit(doc, a.flat, d);
            if (!fix) continue;
            ++fixes;
            Document fixed = doc;
            fix->apply(fixed);
            Analyzed after = analyzeDocument(fixed);
            for (const Diagnostic& e : after.analysis.diagnostics)
                EXPECT_FALSE(e.node == d.node && e.port == d.port && e.severity == Severity::Error)
                    << name << ": still " << e.message << " after " << fix->text();
            EXPECT_LT(after.analysis.errorCount(), a.analysis.errorCount()) << name;
        }
    }
    EXPECT_EQ(fixes, corpus.size()) << "each broken graph offers its fix";
}

// The Add's projection hint is an edit: a 1×1 Conv2d on the shortcut, wired where the shortcut was.
TEST(Diagnostics, TheAddsProjectionHintInsertsTheProjection) {
    Analyzed a = analyzeText(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 16, "height": 32, "width": 32}},
        {"id": "c1", "kind": "Conv2d", "attrs": {"out_channels": 32, "kernel_size": 3, "stride": 2, "padding": 1}},
        {"id": "sum", "kind": "Add"}, {"id": "out", "kind": "Output"}],
      "edges": [{"from": "in", "to": "c1"}, {"from": "in", "to": "sum"}, {"from": "c1", "to": "sum"}, {"from": "sum", "to": "out"}])");
    const Diagnostic* d = a.find("add inputs differ in shape");
    ASSERT_NE(d, nullptr) << a.allDiagnostics();
    ASSERT_TRUE(d->insert);
    EXPECT_EQ(d->insert->port, "in0");  // the shortcut: fewer channels, more pixels
    std::unique_ptr<Edit> fix = fixEdit(a.doc, a.flat, *d);
    ASSERT_TRUE(fix);
    EXPECT_EQ(fix->text(), "Insert Conv2d sum_in0_projection before sum.in0");
    Document fixed = a.doc;
    fix->apply(fixed);
    Analyzed after = analyzeDocument(fixed);
    EXPECT_EQ(after.analysis.errorCount(), 0u) << after.allDiagnostics();
    EXPECT_EQ(after.node("sum_in0_projection").weights[0].shape, (Shape{32, 16, 1, 1}));
    EXPECT_EQ(after.shape("sum"), (Shape{1, 32, 16, 16}));
    const FlatNode& sum = after.flat.nodes[static_cast<size_t>(after.flat.find("sum"))];
    EXPECT_EQ(sum.inputs[0].node, after.flat.find("sum_in0_projection"));
    EXPECT_EQ(sum.inputs[1].node, after.flat.find("c1"));  // the other input did not move
    fix->revert(fixed);
    EXPECT_EQ(fixed, a.doc);
}
