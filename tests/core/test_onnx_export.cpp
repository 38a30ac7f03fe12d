// The ONNX exporter, checked by reading its output back with the importer (and libonnx's parser):
// the same counts and outputs, initializer names equal to the weight names, module paths in node
// names, batch-norm folding and the refusals.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "executor.h"
#include "helpers.h"
#include "onnx_export.h"
#include "onnx_import.h"
#include "weights.h"

namespace nw {
namespace {

struct Exported {
    test::Analyzed net;
    TensorMap weights;
    OnnxModel model;
};

Exported exportDocument(Document doc, const OnnxExportOptions& options = {}, const AnalyzeOptions& analyze = {}) {
    Exported e{test::analyzeDocument(std::move(doc), analyze), {}, {}};
    e.weights = initWeights(e.net.flat, e.net.analysis, 7);
    e.model = buildOnnx("net", e.net.flat, e.net.analysis, e.weights, options);
    return e;
}

Tensor randomInput(const Shape& shape, unsigned seed = 1) {
    Tensor x(shape);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    for (float& v : x.data) v = u(rng);
    return x;
}

float maxAbs(const Tensor& t) {
    float m = 0;
    for (float v : t.data) m = std::max(m, std::fabs(v));
    return m;
}
float maxDiff(const Tensor& a, const Tensor& b) {
    float m = 0;
    for (size_t i = 0; i < a.data.size(); ++i) m = std::max(m, std::fabs(a.data[i] - b.data[i]));
    return m;
}

// Re-imports `e`'s model and checks its counts and its output on a random input equal the original's.
void expectRoundTrip(const Exported& e, float tolerance = 1e-5f, bool sameCounts = true) {
    ASSERT_TRUE(e.model.errors.empty()) << e.model.errors.front();
    Imported back = parseOnnx(e.model.bytes, "net.onnx");
    ASSERT_TRUE(back.document) << (back.errors.empty() ? "" : back.errors.front().message);
    test::Analyzed again = test::analyzeDocument(*back.document);
    ASSERT_EQ(again.analysis.errorCount(), 0u) << again.allDiagnostics();
    if (sameCounts) {
        EXPECT_EQ(again.analysis.totals.params, e.net.analysis.totals.params);
        EXPECT_EQ(again.analysis.totals.trainable, e.net.analysis.totals.trainable);
        EXPECT_EQ(again.analysis.totals.non_trainable, e.net.analysis.totals.non_trainable);
        EXPECT_EQ(again.analysis.totals.macs, e.net.analysis.totals.macs);
    }
    const Tensor x = randomInput(e.net.analysis.inputShape);
    RunResult a = run(e.net.flat, e.net.analysis, e.weights, x);
    RunResult b = run(again.flat, again.analysis, back.weights, x);
    ASSERT_TRUE(a.error.empty() && b.error.empty()) << a.error << b.error;
    ASSERT_EQ(a.output.shape, b.output.shape);
    EXPECT_LE(maxDiff(a.output, b.output), tolerance * std::max(1.0f, maxAbs(a.output)));
}

TEST(OnnxExport, LeNetRoundTripsWithItsWeightNamesAsInitializers) {
    Exported e = exportDocument(test::loadPreset("lenet5"));
    expectRoundTrip(e);
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromString(e.model.bytes));
    EXPECT_EQ(m.opset_import(0).version(), 17);
    std::set<std::string> names;
    for (const auto& init : m.graph().initializer()) names.insert(init.name());
    for (const auto& [name, tensor] : e.weights) EXPECT_TRUE(names.count(name)) << name;
    EXPECT_EQ(names.size(), e.weights.size());
    // The batch dimension is left symbolic, so any batch runs.
    EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "N");
}

// Module paths in node names, as torch.onnx writes them, so the importer finds the blocks again.
TEST(OnnxExport, NodeNamesCarryTheModulePathAndTheBlocksComeBack) {
    Exported e = exportDocument(test::loadPreset("resnet18"), {}, {.inputShape = Shape{1, 3, 64, 64}});
    expectRoundTrip(e, 1e-4f);
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromString(e.model.bytes));
    bool found = false;
    for (const auto& n : m.graph().node()) found |= n.name() == "/layer1/layer1.0/conv1/Conv";
    EXPECT_TRUE(found);
    Imported back = parseOnnx(e.model.bytes, "resnet18.onnx");
    ASSERT_TRUE(back.document);
    EXPECT_LE(back.document->graph.nodes.size(), 20u);
    EXPECT_FALSE(back.document->modules.empty());
}

TEST(OnnxExport, XceptionAndGoogLeNetRoundTrip) {
    expectRoundTrip(exportDocument(test::loadPreset("xception"), {}, {.inputShape = Shape{1, 3, 96, 96}}), 1e-4f);
    expectRoundTrip(exportDocument(test::loadPreset("googlenet"), {}, {.inputShape = Shape{1, 3, 96, 96}}), 1e-4f);
}

TEST(OnnxExport, FoldedBatchNormsLeaveTheOutputAndDropTheirStatistics) {
    OnnxExportOptions fold;
    fold.foldBatchNorm = true;
    Exported e = exportDocument(test::loadPreset("resnet18"), fold, {.inputShape = Shape{1, 3, 64, 64}});
    expectRoundTrip(e, 1e-4f, false);
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromString(e.model.bytes));
    for (const auto& n : m.graph().node()) EXPECT_NE(n.op_type(), "BatchNormalization") << n.name();
    ASSERT_FALSE(e.model.notes.empty());
    EXPECT_NE(e.model.notes[0].find("20 batch norm"), std::string::npos) << e.model.notes[0];
}

// Kinds ONNX has no single operator for, an average pool whose padding counts (a Pad before it),
// and opset 13 (before HardSwish).
TEST(OnnxExport, CompositeKindsAndOpset13) {
    const char* body = R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 4, "height": 9, "width": 9}},
        {"id": "sep", "kind": "SeparableConv2d", "attrs": {"out_channels": 6, "padding": "same", "bias": true}},
        {"id": "hs", "kind": "HardSwish"},
        {"id": "r6", "kind": "ReLU6"},
        {"id": "pad", "kind": "ZeroPadChannels", "attrs": {"out_channels": 8, "stride": 2}},
        {"id": "avg", "kind": "AvgPool2d", "attrs": {"kernel_size": 3, "stride": 1, "padding": 1}},
        {"id": "pool", "kind": "MaxPool2d", "attrs": {"kernel_size": 3, "stride": 2, "ceil_mode": true}},
        {"id": "gap", "kind": "GlobalAvgPool"},
        {"id": "fc", "kind": "Linear", "attrs": {"out_features": 3}},
        {"id": "sm", "kind": "Softmax"},
        {"id": "out", "kind": "Output"}],
      "edges": [{"from": "in", "to": "sep"}, {"from": "sep", "to": "hs"}, {"from": "hs", "to": "r6"},
                {"from": "r6", "to": "pad"}, {"from": "pad", "to": "avg"}, {"from": "avg", "to": "pool"}, {"from": "pool", "to": "gap"},
                {"from": "gap", "to": "fc"}, {"from": "fc", "to": "sm"}, {"from": "sm", "to": "out"}])";
    for (int opset : {13, 17}) {
        OnnxExportOptions o;
        o.opset = opset;
        Exported e = exportDocument(test::analyzeText(body).doc, o);
        expectRoundTrip(e);
        onnx::ModelProto m;
        ASSERT_TRUE(m.ParseFromString(e.model.bytes));
        bool hardSwish = false;
        for (const auto& n : m.graph().node()) hardSwish |= n.op_type() == "HardSwish";
        EXPECT_EQ(hardSwish, opset >= 14);
    }
}

TEST(OnnxExport, RefusalsNameTheNodeAndTheCause) {
    // Adaptive pooling to a size that does not divide the input has no ONNX operator.
    const char* uneven = R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 2, "height": 10, "width": 10}},
        {"id": "ap", "kind": "AdaptiveAvgPool2d", "attrs": {"output_size": 3}},
        {"id": "out", "kind": "Output"}],
      "edges": [{"from": "in", "to": "ap"}, {"from": "ap", "to": "out"}])";
    Exported e = exportDocument(test::analyzeText(uneven).doc);
    ASSERT_EQ(e.model.errors.size(), 1u);
    EXPECT_NE(e.model.errors[0].find("AdaptiveAvgPool2d 'ap'"), std::string::npos) << e.model.errors[0];
    EXPECT_NE(e.model.errors[0].find("unequal"), std::string::npos);
    EXPECT_TRUE(e.model.bytes.empty());

    OnnxExportOptions old;
    old.opset = 11;
    EXPECT_NE(exportDocument(test::loadPreset("lenet5"), old).model.errors.at(0).find("opset 11"), std::string::npos);

    // Weights that do not fit are listed, not written.
    test::Analyzed net = test::analyzePreset("lenet5");
    TensorMap w = initWeights(net.flat, net.analysis);
    w.erase(w.begin());
    OnnxModel m = buildOnnx("lenet5", net.flat, net.analysis, w);
    ASSERT_FALSE(m.errors.empty());
    EXPECT_NE(m.errors[0].find("missing"), std::string::npos) << m.errors[0];
}

}  // namespace
}  // namespace nw
