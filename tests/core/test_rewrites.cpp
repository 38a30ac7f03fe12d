// The executor's rewrites, each pass on its own: what it fuses, what it leaves alone, and (for the
// fold) the folded numbers. Whether a fused plan computes what the unfused graph does is tested in
// test_kernels.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "helpers.h"
#include "rewrites.h"
#include "weights.h"

using namespace nw;
using namespace nw::test;

namespace {

// A graph, its readers per node and nothing kept: what the plan hands the passes.
struct Case {
    Analyzed a;
    std::vector<int> consumers;
    std::vector<char> keep;
    explicit Case(const std::string& body) : a(analyzeText(body)) {
        consumers.assign(a.flat.nodes.size(), 0);
        keep.assign(a.flat.nodes.size(), 0);
        for (const FlatNode& n : a.flat.nodes)
            for (const PortRef& in : n.inputs) ++consumers[static_cast<size_t>(in.node)];
    }
    RewriteInput input() const { return rewriteInput(a.flat, a.analysis, consumers, keep); }
    size_t at(const std::string& name) const { return static_cast<size_t>(a.flat.find(name)); }
    int aliasOf(const Rewrites& r, const std::string& name) const { return r.alias[at(name)]; }
};

const char* kConvBnRelu = R"("nodes": [
    {"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 8, "width": 8}},
    {"id": "conv", "kind": "Conv2d", "attrs": {"out_channels": 4, "kernel_size": 3, "bias": false}},
    {"id": "bn", "kind": "BatchNorm2d"}, {"id": "relu", "kind": "ReLU"}, {"id": "out", "kind": "Output"}],
  "edges": [{"from": "in", "to": "conv"}, {"from": "conv", "to": "bn"}, {"from": "bn", "to": "relu"},
            {"from": "relu", "to": "out"}])";

}  // namespace

TEST(Rewrites, FoldAffineScalesTheKernelAndMakesTheBias) {
    Case c(kConvBnRelu);
    ASSERT_EQ(c.a.analysis.errorCount(), 0u) << c.a.allDiagnostics();
    TensorMap w = initWeights(c.a.flat, c.a.analysis, 5);
    for (size_t ch = 0; ch < 4; ++ch) {  // statistics that are not the identity
        w["bn.weight"].data[ch] = 0.5f + static_cast<float>(ch);
        w["bn.bias"].data[ch] = -1.0f + static_cast<float>(ch);
        w["bn.running_mean"].data[ch] = 0.25f * static_cast<float>(ch);
        w["bn.running_var"].data[ch] = 1.0f + static_cast<float>(ch);
    }
    Rewrites r(c.a.flat.nodes.size());
    foldAffinePass(c.input(), w, nullptr, r);
    EXPECT_EQ(c.aliasOf(r, "bn"), static_cast<int>(c.at("conv")));
    EXPECT_EQ(c.aliasOf(r, "relu"), -1);  // another pass's work
    ASSERT_EQ(r.weights.count(c.at("conv")), 1u);
    const std::vector<const Tensor*>& folded = r.weights[c.at("conv")];
    ASSERT_EQ(folded.size(), 2u);  // the scaled kernel, then the bias the bias-free conv now has
    const Tensor& kernel = w.at("conv.weight");
    const int64_t per = kernel.numel() / 4;
    for (size_t ch = 0; ch < 4; ++ch) {
        const double scale = w["bn.weight"].data[ch] / std::sqrt(w["bn.running_var"].data[ch] + 1e-5);
        const auto k = static_cast<size_t>(ch * static_cast<size_t>(per));
        EXPECT_NEAR(folded[0]->data[k], kernel.data[k] * scale, 1e-5) << ch;
        EXPECT_NEAR(folded[1]->data[ch], w["bn.bias"].data[ch] - w["bn.running_mean"].data[ch] * scale, 1e-5) << ch;
    }
    EXPECT_EQ(kernel.data, w.at("conv.weight").data);  // the caller's weights untouched
}

TEST(Rewrites, FoldAffineNeedsAFoldingProducerThatFeedsOnlyIt) {
    Case shared(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 8, "width": 8}},
        {"id": "conv", "kind": "Conv2d", "attrs": {"out_channels": 3, "kernel_size": 1}},
        {"id": "bn", "kind": "BatchNorm2d"}, {"id": "add", "kind": "Add"},
        {"id": "pool", "kind": "MaxPool2d", "attrs": {"kernel_size": 2}}, {"id": "bn2", "kind": "BatchNorm2d"}],
      "edges": [{"from": "in", "to": "conv"}, {"from": "conv", "to": "bn"}, {"from": "conv", "to": "add", "to_port": "in0"},
                {"from": "bn", "to": "add", "to_port": "in1"}, {"from": "add", "to": "pool"}, {"from": "pool", "to": "bn2"}])");
    ASSERT_EQ(shared.a.analysis.errorCount(), 0u) << shared.a.allDiagnostics();
    TensorMap w = initWeights(shared.a.flat, shared.a.analysis, 1);
    Rewrites r(shared.a.flat.nodes.size());
    foldAffinePass(shared.input(), w, nullptr, r);
    EXPECT_EQ(shared.aliasOf(r, "bn"), -1);   // the conv's output is read twice
    EXPECT_EQ(shared.aliasOf(r, "bn2"), -1);  // a pooling has nothing to fold into
    EXPECT_TRUE(r.weights.empty());
}

TEST(Rewrites, FuseResidualAddsOntoTheOtherInputAndTakesItsBufferWhenFree) {
    Case c(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 4, "height": 8, "width": 8}},
        {"id": "s", "kind": "ReLU"}, {"id": "t", "kind": "Sigmoid"},
        {"id": "conv", "kind": "Conv2d", "attrs": {"out_channels": 4, "kernel_size": 3, "padding": 1}},
        {"id": "add", "kind": "Add"},
        {"id": "g", "kind": "Conv2d", "attrs": {"out_channels": 4, "kernel_size": 3, "padding": 1, "groups": 2}},
        {"id": "add2", "kind": "Add"}],
      "edges": [{"from": "in", "to": "s"}, {"from": "s", "to": "t"}, {"from": "s", "to": "conv"},
                {"from": "conv", "to": "add", "to_port": "in0"}, {"from": "t", "to": "add", "to_port": "in1"},
                {"from": "add", "to": "g"}, {"from": "g", "to": "add2", "to_port": "in0"},
                {"from": "add", "to": "add2", "to_port": "in1"}])");
    ASSERT_EQ(c.a.analysis.errorCount(), 0u) << c.a.allDiagnostics();
    Rewrites r(c.a.flat.nodes.size());
    fuseResidualPass(c.input(), r);
    EXPECT_EQ(c.aliasOf(r, "add"), static_cast<int>(c.at("conv")));
    EXPECT_EQ(r.residual[c.at("conv")], static_cast<int>(c.at("t")));
    // `t` is computed before the conv and read by nothing after it: the conv adds in t's buffer.
    EXPECT_TRUE(r.stealResidual[c.at("conv")]);
    EXPECT_EQ(c.aliasOf(r, "add2"), -1);  // a grouped convolution does not accumulate
}

TEST(Rewrites, FuseReluRunsItInTheProducersEpilogue) {
    Case c(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 4, "height": 8, "width": 8}},
        {"id": "conv", "kind": "Conv2d", "attrs": {"out_channels": 4, "kernel_size": 1}}, {"id": "r1", "kind": "ReLU"},
        {"id": "pool", "kind": "MaxPool2d", "attrs": {"kernel_size": 2}}, {"id": "r2", "kind": "ReLU"},
        {"id": "add", "kind": "Add"}, {"id": "r3", "kind": "ReLU"}, {"id": "kept", "kind": "Conv2d", "attrs": {"out_channels": 4, "kernel_size": 1}},
        {"id": "r4", "kind": "ReLU"}],
      "edges": [{"from": "in", "to": "conv"}, {"from": "conv", "to": "r1"}, {"from": "r1", "to": "pool"},
                {"from": "pool", "to": "r2"}, {"from": "r2", "to": "add", "to_port": "in0"},
                {"from": "pool", "to": "add", "to_port": "in1"}, {"from": "add", "to": "r3"}, {"from": "r3", "to": "kept"},
                {"from": "kept", "to": "r4"}])");
    ASSERT_EQ(c.a.analysis.errorCount(), 0u) << c.a.allDiagnostics();
    c.keep[c.at("kept")] = 1;  // its own output asked for (a --dump)
    Rewrites r(c.a.flat.nodes.size());
    fuseReluPass(c.input(), r);
    EXPECT_EQ(c.aliasOf(r, "r1"), static_cast<int>(c.at("conv")));
    EXPECT_TRUE(r.relu[c.at("conv")]);
    EXPECT_EQ(c.aliasOf(r, "r2"), -1);  // a pooling's output read twice, and pooling has no epilogue
    EXPECT_EQ(c.aliasOf(r, "r3"), static_cast<int>(c.at("add")));  // an Add applies it too
    EXPECT_EQ(c.aliasOf(r, "r4"), -1);                             // the kept output must stay as it is
}

TEST(Rewrites, ThePassesTogetherMakeABlockOneKernel) {
    Case c(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 4, "height": 8, "width": 8}}, {"id": "s", "kind": "ReLU"},
        {"id": "conv", "kind": "Conv2d", "attrs": {"out_channels": 4, "kernel_size": 3, "padding": 1, "bias": false}},
        {"id": "bn", "kind": "BatchNorm2d"}, {"id": "add", "kind": "Add"}, {"id": "relu", "kind": "ReLU"}],
      "edges": [{"from": "in", "to": "s"}, {"from": "s", "to": "conv"}, {"from": "conv", "to": "bn"},
                {"from": "bn", "to": "add", "to_port": "in0"}, {"from": "s", "to": "add", "to_port": "in1"},
                {"from": "add", "to": "relu"}])");
    ASSERT_EQ(c.a.analysis.errorCount(), 0u) << c.a.allDiagnostics();
    TensorMap w = initWeights(c.a.flat, c.a.analysis, 2);
    Rewrites r = planRewrites(c.a.flat, c.a.analysis, w, nullptr, c.consumers, c.keep);
    const int conv = static_cast<int>(c.at("conv"));
    EXPECT_EQ(c.aliasOf(r, "bn"), conv);
    EXPECT_EQ(c.aliasOf(r, "add"), conv);
    EXPECT_EQ(c.aliasOf(r, "relu"), conv);
    EXPECT_EQ(r.residual[c.at("conv")], static_cast<int>(c.at("s")));
    EXPECT_TRUE(r.relu[c.at("conv")]);
}
