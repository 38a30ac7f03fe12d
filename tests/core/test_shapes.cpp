// Output shapes and receptive fields against hand-computed values.
#include <gtest/gtest.h>

#include "helpers.h"
#include "common.h"
#include "registry.h"

using namespace nw;
using namespace nw::test;

TEST(Shapes, ConvArithmeticMatchesPyTorch) {
    Analyzed a = analyzeText(R"(
      "nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 224, "width": 224}},
                {"id": "c1", "kind": "Conv2d", "attrs": {"out_channels": 64, "kernel_size": 11, "stride": 4, "padding": 2}},
                {"id": "c2", "kind": "Conv2d", "attrs": {"out_channels": 8, "kernel_size": [3, 5], "padding": [1, 2], "dilation": 2}},
                {"id": "c3", "kind": "Conv2d", "attrs": {"out_channels": 8, "kernel_size": 3, "padding": [0, 1, 2, 3]}},
                {"id": "dw", "kind": "DepthwiseConv2d", "attrs": {"depth_multiplier": 2, "kernel_size": 3, "stride": 2, "padding": "same"}}],
      "edges": [{"from": "in", "to": "c1"}, {"from": "c1", "to": "c2"}, {"from": "c2", "to": "c3"}, {"from": "c3", "to": "dw"}])");
    EXPECT_EQ(a.allDiagnostics(), "");
    EXPECT_EQ(a.shape("c1"), (Shape{1, 64, 55, 55}));
    // dilation 2: effective kernel 5×9; (55 + 2 - 5)/1 + 1 = 53, (55 + 4 - 9) + 1 = 51
    EXPECT_EQ(a.shape("c2"), (Shape{1, 8, 53, 51}));
    // top 0, left 1, bottom 2, right 3: (53 + 2 - 3) + 1 = 53, (51 + 4 - 3) + 1 = 53
    EXPECT_EQ(a.shape("c3"), (Shape{1, 8, 53, 53}));
    EXPECT_EQ(a.shape("dw"), (Shape{1, 16, 27, 27}));
    EXPECT_EQ(a.node("dw").counts.params, 16 * 9);
}

TEST(Shapes, KerasSamePaddingPutsTheExtraRowAfter) {
    const LayerKind& conv = *Registry::instance().find("Conv2d");
    std::vector<AttrValue> values;
    for (const auto& s : conv.attrs) values.push_back(s.def);
    values[static_cast<size_t>(conv.attrIndex("padding"))] = std::string("same");
    NodeAttrs attrs(conv, values);
    Pad4 p = layers::resolvePadding(attrs, Window{3, 3, 2, 2, 1, 1}, 150, 150);  // out 75: 1 row of padding
    EXPECT_EQ((std::vector<int64_t>{p.top, p.left, p.bottom, p.right}), (std::vector<int64_t>{0, 0, 1, 1}));
    p = layers::resolvePadding(attrs, Window{3, 3, 2, 2, 1, 1}, 299, 299);  // out 150: 2 rows, split evenly
    EXPECT_EQ((std::vector<int64_t>{p.top, p.left, p.bottom, p.right}), (std::vector<int64_t>{1, 1, 1, 1}));
}

TEST(Shapes, XceptionSpatialSizesFollowSamePadding) {
    Analyzed a = analyzePreset("xception");
    EXPECT_EQ(a.shape("block1_conv1"), (Shape{1, 32, 150, 150}));
    EXPECT_EQ(a.shape("block2.add"), (Shape{1, 128, 75, 75}));
    EXPECT_EQ(a.shape("block3.add"), (Shape{1, 256, 38, 38}));
    EXPECT_EQ(a.shape("block4.add"), (Shape{1, 728, 19, 19}));
    EXPECT_EQ(a.shape("middle.7.add"), (Shape{1, 728, 19, 19}));
    EXPECT_EQ(a.shape("block13.add"), (Shape{1, 1024, 10, 10}));
    EXPECT_EQ(a.shape("avg_pool"), (Shape{1, 2048}));
    EXPECT_EQ(a.analysis.outputShape, (Shape{1, 1000}));
}

TEST(Shapes, PoolCeilModeAsInGoogLeNet) {
    Analyzed a = analyzePreset("googlenet");
    EXPECT_EQ(a.shape("conv1.conv"), (Shape{1, 64, 112, 112}));
    EXPECT_EQ(a.shape("maxpool1"), (Shape{1, 64, 56, 56}));  // ceil((112 - 3) / 2) + 1
    EXPECT_EQ(a.shape("maxpool2"), (Shape{1, 192, 28, 28}));
    EXPECT_LT(a.flat.find("inception3a"), 0);  // module instances are not flat nodes
    EXPECT_EQ(a.shape("inception3a.cat"), (Shape{1, 256, 28, 28}));
    EXPECT_EQ(a.shape("maxpool4"), (Shape{1, 832, 7, 7}));
}

TEST(Shapes, CeilModeDropsAWindowThatStartsInThePadding) {
    // PyTorch: MaxPool2d(2, stride=2, padding=1, ceil_mode=True) on 5: ceil((5+2-2)/2)+1 = 4, but the
    // 4th window starts at 6 ≥ 5 + 1, so 3.
    Analyzed a = analyzeText(R"(
      "nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 1, "height": 5, "width": 6}},
                {"id": "p", "kind": "MaxPool2d", "attrs": {"kernel_size": 2, "padding": 1, "ceil_mode": true}}],
      "edges": [{"from": "in", "to": "p"}])");
    EXPECT_EQ(a.shape("p"), (Shape{1, 1, 3, 4}));
}

TEST(Shapes, InputShapeOverrideAppliesTheBatch) {
    AnalyzeOptions o;
    o.inputShape = Shape{8, 3, 224, 224};
    Analyzed a = analyzePreset("resnet18", o);
    EXPECT_EQ(a.analysis.outputShape, (Shape{8, 1000}));
    EXPECT_EQ(a.analysis.totals.macs, analyzePreset("resnet18").analysis.totals.macs);  // MACs are per sample
    EXPECT_EQ(a.analysis.totals.activation_bytes, 8 * analyzePreset("resnet18").analysis.totals.activation_bytes);
}

TEST(ReceptiveField, LeNetAlexNetVGG) {
    Analyzed lenet = analyzePreset("lenet5");
    EXPECT_EQ(lenet.node("conv1").field.text(), "5 step 1");
    EXPECT_EQ(lenet.node("pool1").field.text(), "6 step 2");
    EXPECT_EQ(lenet.node("conv2").field.text(), "14 step 2");
    EXPECT_EQ(lenet.node("pool2").field.text(), "16 step 4");
    EXPECT_EQ(lenet.node("fc1").field.text(), "whole input");
    EXPECT_EQ(analyzePreset("alexnet").node("features.12").field.text(), "195 step 32");
    EXPECT_EQ(analyzePreset("vgg16").node("features.30").field.text(), "212 step 32");
}

TEST(ReceptiveField, MergesTakeTheWidestBranch) {
    Analyzed a = analyzePreset("mnist_inception");
    // conv1 5 → mp 6 step 2; the 1×1 branch adds nothing, the 3×3·3×3 branch adds 2·2·2 + 2·2·2.
    EXPECT_EQ(a.node("incep1.branch1x1").field.text(), "6 step 2");
    EXPECT_EQ(a.node("incep1.branch3x3_3").field.text(), "14 step 2");
    EXPECT_EQ(a.node("incep1.cat").field.text(), "14 step 2");
}

// ConvTranspose2d as PyTorch computes it: (H − 1)·s − 2p + d·(k − 1) + output_padding + 1; weight
// C_in × C_out/groups × k × k; MACs per input element and tap; its receptive field in input positions.
TEST(Shapes, TransposedConvolutionUpsamples) {
    Analyzed a = analyzeText(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 8, "height": 7, "width": 5}},
        {"id": "up", "kind": "ConvTranspose2d", "attrs": {"out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}},
        {"id": "odd", "kind": "ConvTranspose2d", "attrs": {"out_channels": 6, "kernel_size": [3, 2], "stride": [3, 2],
                      "padding": [1, 0], "output_padding": [2, 1], "dilation": [1, 2], "groups": 2, "bias": false}}],
      "edges": [{"from": "in", "to": "up"}, {"from": "up", "to": "odd"}])");
    ASSERT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
    EXPECT_EQ(a.shape("up"), (Shape{1, 4, 14, 10}));  // (7−1)·2 − 2 + 3 + 1, (5−1)·2 − 2 + 3 + 1
    // (14−1)·3 − 2 + 1·2 + 2 + 1 = 42, (10−1)·2 − 0 + 2·1 + 1 + 1 = 22
    EXPECT_EQ(a.shape("odd"), (Shape{1, 6, 42, 22}));
    EXPECT_EQ(a.node("up").counts.params, 8 * 4 * 4 * 4 + 4);
    EXPECT_EQ(a.node("up").counts.macs, int64_t{8} * 7 * 5 * 4 * 4 * 4);
    EXPECT_EQ(a.node("odd").counts.params, 4 * 3 * 3 * 2);  // C_in 4 × C_out/groups 3 × 3 × 2
    EXPECT_EQ(a.node("odd").counts.macs, int64_t{4} * 14 * 10 * 3 * 3 * 2);
    // k 4, s 2: an output sees ⌊3/2⌋ + 1 = 2 input positions, its step halves (1 stays 1).
    EXPECT_EQ(a.node("up").field.text(), "2 step 1");
}

TEST(Shapes, TransposedConvolutionOutputPaddingMustStayBelowTheStride) {
    Analyzed a = analyzeText(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 2, "height": 4, "width": 4}},
        {"id": "up", "kind": "ConvTranspose2d", "attrs": {"kernel_size": 3, "stride": 2, "output_padding": 2}}],
      "edges": [{"from": "in", "to": "up"}])");
    const Diagnostic* d = a.find("output_padding (2, 2) must be smaller than the stride or the dilation");
    ASSERT_TRUE(d) << a.allDiagnostics();
    ASSERT_TRUE(d->fix);
    EXPECT_EQ(d->fix->attr, "output_padding");
    EXPECT_EQ(std::get<int64_t>(d->fix->value), 1);
}
