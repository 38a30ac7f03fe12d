// Each fast kernel against its plain-loop reference on random shapes (fixed seed), as ncnn's
// test_layer does; and the executor's checks on inputs and weights.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "executor.h"
#include "helpers.h"
#include "registry.h"
#include "tensor.h"

using namespace nw;
using namespace nw::test;

namespace {

// Analyses a one-layer graph (Input → node) and runs the kind's forward and reference kernels on
// random input and weights; they must agree.
void checkAgainstReference(const std::string& kind, const std::string& attrs, const Shape& input, std::mt19937& rng) {
    SCOPED_TRACE(kind + " " + attrs + " on " + formatShape(input));
    Analyzed a = analyzeText(R"("nodes": [{"id": "in", "kind": "Input"}, {"id": "n", "kind": ")" + kind +
                                 R"(", "attrs": )" + attrs + R"(}], "edges": [{"from": "in", "to": "n"}])",
                             AnalyzeOptions{.inputShape = input});
    ASSERT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
    const FlatNode& node = a.flat.nodes[static_cast<size_t>(a.flat.find("n"))];
    const NodeResult& info = a.node("n");
    ASSERT_NE(node.kind->reference, nullptr);
    Tensor x = randomTensor(input, rng);
    std::vector<Tensor> weights;
    for (const WeightSpec& w : info.weights) weights.push_back(randomTensor(w.shape, rng));
    std::vector<const Tensor*> ins{&x}, ws;
    for (const Tensor& w : weights) ws.push_back(&w);
    Tensor fast(info.outputs[0]), slow(info.outputs[0]);
    const auto params = node.kind->parseParams(node.view(), ins[0]->shape);
    node.kind->forward(KernelArgs{params.get(), ins, ws, fast});
    node.kind->reference(KernelArgs{params.get(), ins, ws, slow});
    EXPECT_LT(maxRelDiff(fast, slow), 1e-5f);
}

}  // namespace

TEST(Kernels, EveryKindHasAForwardKernel) {
    for (const LayerKind& k : Registry::instance().kinds()) EXPECT_NE(k.forward, nullptr) << k.name;
}

// Kernels read their attributes typed, parsed once per plan (KernelArgs carries no NodeAttrs); one
// handed none where its kind parses some refuses to run rather than read defaults or garbage.
TEST(Kernels, AKernelWithoutItsParsedAttributesRefusesToRun) {
    Analyzed a = analyzeText(R"("nodes": [{"id": "in", "kind": "Input"},
        {"id": "n", "kind": "LeakyReLU", "attrs": {"negative_slope": 0.25}}], "edges": [{"from": "in", "to": "n"}])",
                             AnalyzeOptions{.inputShape = Shape{1, 1, 1, 2}});
    ASSERT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
    const FlatNode& node = a.flat.nodes[static_cast<size_t>(a.flat.find("n"))];
    Tensor x({1, 1, 1, 2}), y({1, 1, 1, 2});
    x.data = {-4, 3};
    std::vector<const Tensor*> ins{&x};
    EXPECT_THROW(node.kind->forward(KernelArgs{nullptr, ins, {}, y}), std::logic_error);
    const auto params = parseNodeParams(a.flat, a.analysis, static_cast<size_t>(a.flat.find("n")));
    ASSERT_NE(params, nullptr);
    node.kind->forward(KernelArgs{params.get(), ins, {}, y});
    EXPECT_EQ(y.data, (std::vector<float>{-1, 3}));
    // Another kind's parameters are refused too.
    const LayerKind& conv = *Registry::instance().find("Conv2d");
    std::vector<AttrValue> values;
    for (const auto& spec : conv.attrs) values.push_back(spec.def);
    const auto convParams = conv.parseParams(NodeAttrs(conv, values), Shape{1, 1, 8, 8});
    EXPECT_THROW(node.kind->forward(KernelArgs{convParams.get(), ins, {}, y}), std::logic_error);
}

TEST(Kernels, ConvolutionsMatchTheirReferenceOnRandomShapes) {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> pick(0, 1000);
    for (int trial = 0; trial < 40; ++trial) {
        const int64_t groups = std::vector<int64_t>{1, 1, 2, 4}[pick(rng) % 4];
        const int64_t cin = groups * (1 + pick(rng) % 6), cout = groups * (1 + pick(rng) % 6);
        const int64_t kh = 1 + pick(rng) % 5, kw = 1 + pick(rng) % 5, stride = 1 + pick(rng) % 3;
        const int64_t dilation = 1 + pick(rng) % 2, h = 7 + pick(rng) % 12, w = 7 + pick(rng) % 12;
        const std::string padding =
            std::vector<std::string>{"0", "1", "[2, 1]", "\"same\"", "\"valid\""}[pick(rng) % 5];
        const std::string bias = pick(rng) % 2 ? "true" : "false";
        checkAgainstReference("Conv2d",
                              "{\"out_channels\": " + std::to_string(cout) + ", \"kernel_size\": [" +
                                  std::to_string(kh) + ", " + std::to_string(kw) +
                                  "], \"stride\": " + std::to_string(stride) +
                                  ", \"dilation\": " + std::to_string(dilation) + ", \"padding\": " + padding +
                                  ", \"groups\": " + std::to_string(groups) + ", \"bias\": " + bias + "}",
                              {1 + pick(rng) % 2, cin, h, w}, rng);
    }
    // 1×1 stride 1 takes the no-im2col path; depthwise takes the direct path.
    checkAgainstReference("Conv2d", R"({"out_channels": 7, "kernel_size": 1})", {2, 5, 9, 11}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 6, "kernel_size": 3, "groups": 6, "padding": 1})",
                          {1, 6, 10, 10}, rng);
    checkAgainstReference("SeparableConv2d", R"({"out_channels": 8, "padding": "same", "stride": 2})", {2, 5, 13, 9},
                          rng);
}

// ConvTranspose2d's gather kernel (parallel over outputs) against the scatter definition.
TEST(Kernels, TransposedConvolutionGathersWhatTheDefinitionScatters) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pick(0, 1000);
    for (int trial = 0; trial < 30; ++trial) {
        const int64_t groups = std::vector<int64_t>{1, 1, 2, 3}[pick(rng) % 4];
        const int64_t cin = groups * (1 + pick(rng) % 4), cout = groups * (1 + pick(rng) % 4);
        const int64_t kh = 1 + pick(rng) % 4, kw = 1 + pick(rng) % 4, sh = 1 + pick(rng) % 3, sw = 1 + pick(rng) % 3;
        const int64_t dilation = 1 + pick(rng) % 2, padding = pick(rng) % 2;
        const int64_t oph = pick(rng) % std::max(sh, dilation), opw = pick(rng) % std::max(sw, dilation);
        const std::string bias = pick(rng) % 2 ? "true" : "false";
        checkAgainstReference(
            "ConvTranspose2d",
            "{\"out_channels\": " + std::to_string(cout) + ", \"kernel_size\": [" + std::to_string(kh) + ", " +
                std::to_string(kw) + "], \"stride\": [" + std::to_string(sh) + ", " + std::to_string(sw) +
                "], \"dilation\": " + std::to_string(dilation) + ", \"padding\": " + std::to_string(padding) +
                ", \"output_padding\": [" + std::to_string(oph) + ", " + std::to_string(opw) +
                "], \"groups\": " + std::to_string(groups) + ", \"bias\": " + bias + "}",
            {1 + pick(rng) % 2, cin, 3 + pick(rng) % 6, 3 + pick(rng) % 6}, rng);
    }
}

TEST(Kernels, MaxPoolingMatchesItsReferenceOnRandomShapes) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pick(0, 1000);
    for (int trial = 0; trial < 30; ++trial) {
        const int64_t kernel = 1 + pick(rng) % 4, stride = 1 + pick(rng) % 3, pad = pick(rng) % (kernel / 2 + 1);
        checkAgainstReference("MaxPool2d",
                              "{\"kernel_size\": " + std::to_string(kernel) +
                                  ", \"stride\": " + std::to_string(stride) + ", \"padding\": " + std::to_string(pad) +
                                  ", \"dilation\": " + std::to_string(1 + pick(rng) % 2) +
                                  ", \"ceil_mode\": " + (pick(rng) % 2 ? "true" : "false") + "}",
                              {1 + pick(rng) % 2, 1 + pick(rng) % 5, 8 + pick(rng) % 12, 8 + pick(rng) % 40}, rng);
    }
}

// Global average pooling sums a vector of each plane at a time, the plane's tail masked: plane sizes
// below, at and past a vector, against means computed here in double precision.
TEST(Kernels, GlobalAveragePoolingIsThePlaneMean) {
    std::mt19937 rng(3);
    for (const char* kind : {"GlobalAvgPool", "AdaptiveAvgPool2d"})
        for (const Shape& shape : {Shape{2, 5, 3, 3}, Shape{1, 4, 4, 4}, Shape{3, 7, 19, 19}, Shape{1, 300, 10, 10}}) {
            SCOPED_TRACE(std::string(kind) + " on " + formatShape(shape));
            Analyzed a = analyzeText(std::string(R"("nodes": [{"id": "in", "kind": "Input"}, {"id": "n", "kind": ")") +
                                         kind + R"("}], "edges": [{"from": "in", "to": "n"}])",
                                     AnalyzeOptions{.inputShape = shape});
            ASSERT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
            const FlatNode& node = a.flat.nodes[static_cast<size_t>(a.flat.find("n"))];
            Tensor x = randomTensor(shape, rng), y(a.node("n").outputs[0]);
            std::vector<const Tensor*> ins{&x};
            const auto params = node.kind->parseParams(node.view(), ins[0]->shape);
            node.kind->forward(KernelArgs{params.get(), ins, {}, y});
            const int64_t plane = shape[2] * shape[3];
            ASSERT_EQ(y.numel(), shape[0] * shape[1]);
            for (int64_t c = 0; c < y.numel(); ++c) {
                double sum = 0;
                for (int64_t i = 0; i < plane; ++i) sum += x.data[static_cast<size_t>(c * plane + i)];
                EXPECT_NEAR(y.data[static_cast<size_t>(c)], sum / static_cast<double>(plane), 1e-6) << "plane " << c;
            }
        }
}

// Shapes past the GEMM's blocking: K over one KC block (2 blocks), output channels not a multiple of
// the micro-kernel's rows, output positions over several column blocks and spanning samples.
TEST(Kernels, ConvolutionGemmBlockingEdges) {
    std::mt19937 rng(11);
    checkAgainstReference("Conv2d", R"({"out_channels": 21, "kernel_size": 3, "padding": 1})", {2, 40, 23, 23}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 13, "kernel_size": 1})", {3, 300, 9, 7}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 9, "kernel_size": 5, "stride": 2, "padding": 2, "groups": 3})",
                          {2, 30, 31, 17}, rng);
    checkAgainstReference("DepthwiseConv2d",
                          R"({"depth_multiplier": 3, "kernel_size": 3, "padding": 2, "dilation": 2})", {2, 5, 11, 8},
                          rng);
    checkAgainstReference("SeparableConv2d", R"({"out_channels": 19, "padding": 1})", {2, 33, 19, 19}, rng);
    // Small stride-1 convolutions run direct on a padded plane read as one row (no im2col): padding,
    // dilation, groups, output channels past a register block, K over one KC block, several samples.
    checkAgainstReference("Conv2d", R"({"out_channels": 6, "kernel_size": 5})", {1, 1, 32, 32}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 11, "kernel_size": 3, "padding": [2, 1], "dilation": 2})",
                          {2, 3, 9, 13}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 4, "kernel_size": 5, "padding": 2, "groups": 2})",
                          {2, 30, 4, 5}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 9, "kernel_size": [1, 3], "padding": [0, 1]})", {3, 2, 7, 40},
                          rng);
    // Strided rows long enough for the vector gather of every other column, padded at both ends.
    checkAgainstReference("Conv2d", R"({"out_channels": 16, "kernel_size": 7, "stride": 2, "padding": 3})",
                          {2, 3, 40, 70}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 8, "kernel_size": 3, "stride": 2})", {1, 4, 9, 67}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 8, "kernel_size": 5, "stride": 3, "padding": 2})",
                          {1, 4, 20, 100}, rng);
}

// 3×3 stride-1 convolutions with enough output tiles take Winograd F(2×2, 3×3): odd and even sizes,
// padding 0, 1 and 2, several samples, folded-bias-like bias and a fused ReLU path.
TEST(Kernels, WinogradConvolutionMatchesTheReference) {
    std::mt19937 rng(5);
    checkAgainstReference("Conv2d", R"({"out_channels": 20, "kernel_size": 3, "padding": 1})", {1, 17, 23, 21}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 9, "kernel_size": 3, "padding": 0, "bias": false})",
                          {2, 12, 18, 18}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 33, "kernel_size": 3, "padding": 2})", {3, 8, 15, 16}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 64, "kernel_size": 3, "padding": "same"})", {1, 300, 16, 16},
                          rng);
    // Rows of ≥ 16 tiles take the SIMD transforms (with an overlapping last vector when not a multiple).
    checkAgainstReference("Conv2d", R"({"out_channels": 5, "kernel_size": 3, "padding": 1})", {2, 3, 31, 38}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 4, "kernel_size": 3, "padding": 1})", {1, 2, 32, 32}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 3, "kernel_size": 3})", {1, 2, 40, 71}, rng);
    // More tiles than fit in one core's L2 at these channel counts: chunks of tiles that end inside a
    // tile row and span samples, each transformed, multiplied and transformed back on its own.
    checkAgainstReference("Conv2d", R"({"out_channels": 64, "kernel_size": 3, "padding": 1})", {3, 64, 30, 30}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 24, "kernel_size": 3, "padding": 1})", {2, 40, 29, 31}, rng);
    checkAgainstReference("Conv2d", R"({"out_channels": 40, "kernel_size": 3, "padding": 0})", {2, 24, 62, 60}, rng);
}

// A residual Add fused into the conv before it (the conv accumulates onto the shortcut, in its buffer
// when nothing else reads it) computes what the unfused graph computes: keeping the conv's output
// (a --dump) turns the fusion off, so both are run and compared, for the GEMM and Winograd paths
// (the whole-layer Winograd at 20×20, the chunked one at 72×72).
TEST(Executor, ResidualAddFusedIntoTheConvolutionMatchesTheUnfusedGraph) {
    for (const auto& [kernel, size] : {std::pair{"1", 20}, {"3", 20}, {"3", 72}}) {
        SCOPED_TRACE(std::string("kernel ") + kernel + ", size " + std::to_string(size));
        Analyzed a = analyzeText(std::string(R"("nodes": [
            {"id": "in", "kind": "Input", "attrs": {"channels": 8, "height": )") +
                                     std::to_string(size) + R"(, "width": )" + std::to_string(size) + R"(}},
            {"id": "stem", "kind": "Conv2d", "attrs": {"out_channels": 16, "kernel_size": 3, "padding": 1}},
            {"id": "r0", "kind": "ReLU"},
            {"id": "conv", "kind": "Conv2d", "attrs": {"out_channels": 16, "kernel_size": )" +
                                     kernel +
                                     R"(, "padding": "same", "bias": false}},
            {"id": "bn", "kind": "BatchNorm2d"},
            {"id": "add", "kind": "Add"}, {"id": "relu", "kind": "ReLU"},
            {"id": "conv2", "kind": "Conv2d", "attrs": {"out_channels": 16, "kernel_size": 3, "padding": 1}},
            {"id": "add2", "kind": "Add"}],
          "edges": [{"from": "in", "to": "stem"}, {"from": "stem", "to": "r0"}, {"from": "r0", "to": "conv"},
                    {"from": "conv", "to": "bn"}, {"from": "bn", "to": "add", "to_port": "in0"},
                    {"from": "r0", "to": "add", "to_port": "in1"}, {"from": "add", "to": "relu"},
                    {"from": "relu", "to": "conv2"}, {"from": "conv2", "to": "add2", "to_port": "in1"},
                    {"from": "relu", "to": "add2", "to_port": "in0"}])",
                                 AnalyzeOptions{.inputShape = Shape{2, 8, size, size}});
        ASSERT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
        TensorMap w = initWeights(a.flat, a.analysis, 3);
        std::mt19937 rng(9);
        for (auto& [name, t] : w)  // BN statistics that matter
            if (name.find("running") != std::string::npos || name.find("bn.") == 0)
                for (float& v : t.data) v = std::uniform_real_distribution<float>(0.5f, 1.5f)(rng);
        Tensor x = randomTensor({2, 8, size, size}, rng);
        RunOptions unfused;
        unfused.keep = {"conv", "bn", "conv2"};
        RunResult plain = run(a.flat, a.analysis, w, x, unfused);
        Plan plan(a.flat, a.analysis, TensorMap(w));
        RunResult fused = plan.run(x);
        RunResult again = plan.run(x);  // buffers reused between runs
        ASSERT_TRUE(plain.error.empty() && fused.error.empty()) << plain.error << fused.error;
        EXPECT_LT(maxRelDiff(fused.output, plain.output), 1e-5f);
        EXPECT_LT(maxRelDiff(again.output, plain.output), 1e-5f);
    }
}

TEST(Executor, WeightProblemsAreListedByNameAndShape) {
    Analyzed a = analyzePreset("lenet5");
    TensorMap w = initWeights(a.flat, a.analysis, 7);
    w.erase("conv1.bias");
    w["fc1.weight"] = Tensor({120, 401});
    w["fc9.weight"] = Tensor({3, 3});
    w["conv2.weight"].data[5] = std::nanf("");
    std::vector<std::string> problems = checkWeights(a.flat, a.analysis, w);
    auto has = [&](const std::string& text) {
        for (const auto& p : problems)
            if (p.find(text) != std::string::npos) return true;
        return false;
    };
    EXPECT_EQ(problems.size(), 4u);
    EXPECT_TRUE(has("missing conv1.bias 6"));
    EXPECT_TRUE(has("fc1.weight has shape 120×401, the graph needs 120×400"));
    EXPECT_TRUE(has("unexpected fc9.weight 3×3"));
    EXPECT_TRUE(has("conv2.weight contains NaN"));
    RunResult r = run(a.flat, a.analysis, w, Tensor({1, 1, 32, 32}));
    EXPECT_NE(r.error.find("the weights do not fit the graph"), std::string::npos);
    EXPECT_TRUE(r.output.data.empty());
}

TEST(Executor, RefusesBadInputsAndPlansOverBudget) {
    Analyzed a = analyzePreset("lenet5");
    TensorMap w = initWeights(a.flat, a.analysis);
    EXPECT_NE(run(a.flat, a.analysis, w, Tensor({1, 1, 28, 28}))
                  .error.find("the input 'input' is 1×1×28×28 but the network expects 1×1×32×32"),
              std::string::npos);
    Tensor x({1, 1, 32, 32});
    x.data[3] = INFINITY;
    EXPECT_NE(run(a.flat, a.analysis, w, x).error.find("NaN or infinite"), std::string::npos);
    RunOptions tight;
    tight.memoryBudgetBytes = 10'000;
    EXPECT_NE(
        run(a.flat, a.analysis, w, Tensor({1, 1, 32, 32}), tight).error.find("more than the budget of 10,000 bytes"),
        std::string::npos);
}

// Scratch a kernel declares (a separable convolution's depthwise result, a whole-layer Winograd's
// transformed input and products) comes from the plan's buffers: it counts in the memory peak (and so
// in the budget), and the results equal the kinds' reference kernels.
TEST(Executor, KernelWorkspaceCountsInThePeakAndTheBudget) {
    {
        Analyzed a = analyzeText(
            R"("nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 16, "height": 20, "width": 20}},
            {"id": "conv", "kind": "Conv2d", "attrs": {"out_channels": 16, "padding": 1}}], "edges": [{"from": "in", "to": "conv"}])");
        ASSERT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
        TensorMap w = initWeights(a.flat, a.analysis, 5);
        Plan plan(a.flat, a.analysis, TensorMap(w));
        // input and output 16×20×20; Winograd's V and M for 10×10 tiles, 16 + 16 channels, 16 each
        const int64_t workspace = 16 * (16 + 16) * 100;
        EXPECT_GE(plan.peakActivationBytes(), (2 * 16 * 400 + workspace) * 4);
        EXPECT_LT(plan.peakActivationBytes(), (2 * 16 * 400 + workspace) * 4 + 1024);
        std::mt19937 rng(8);
        const Tensor x = randomTensor({1, 16, 20, 20}, rng);
        const RunResult r = plan.run(x);
        const FlatNode& node = a.flat.nodes[static_cast<size_t>(a.flat.find("conv"))];
        Tensor expected(a.node("conv").outputs[0]);
        std::vector<const Tensor*> ins{&x}, ws{&w.at("conv.weight"), &w.at("conv.bias")};
        const auto params = node.kind->parseParams(node.view(), ins[0]->shape);
        node.kind->reference(KernelArgs{params.get(), ins, ws, expected});
        EXPECT_LT(maxRelDiff(r.output, expected), 1e-5f);
    }
    Analyzed a =
        analyzeText(R"("nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 4, "height": 16, "width": 16}},
        {"id": "sep", "kind": "SeparableConv2d", "attrs": {"out_channels": 8, "depth_multiplier": 2, "padding": 1, "bias": true}}],
        "edges": [{"from": "in", "to": "sep"}])");
    ASSERT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
    TensorMap w = initWeights(a.flat, a.analysis, 5);
    std::mt19937 rng(4);
    const Tensor x = randomTensor({1, 4, 16, 16}, rng);
    Plan plan(a.flat, a.analysis, TensorMap(w));
    // input 4×16×16, output 8×16×16, depthwise result 8×16×16 (4 channels × 2), float32
    EXPECT_EQ(plan.peakActivationBytes(), (4 + 8 + 8) * 16 * 16 * 4);
    const RunResult first = plan.run(x), second = plan.run(x);
    ASSERT_TRUE(first.error.empty()) << first.error;
    const FlatNode& node = a.flat.nodes[static_cast<size_t>(a.flat.find("sep"))];
    Tensor expected(a.node("sep").outputs[0]);
    std::vector<const Tensor*> ins{&x},
        ws{&w.at("sep.depthwise.weight"), &w.at("sep.pointwise.weight"), &w.at("sep.pointwise.bias")};
    const auto params = node.kind->parseParams(node.view(), ins[0]->shape);
    node.kind->reference(KernelArgs{params.get(), ins, ws, expected});
    EXPECT_LT(maxRelDiff(first.output, expected), 1e-5f);
    EXPECT_LT(maxRelDiff(second.output, expected), 1e-5f);
    RunOptions tight;
    tight.memoryBudgetBytes = (4 + 8 + 4) * 16 * 16 * 4;  // room for the activations, not the workspace
    EXPECT_NE(run(a.flat, a.analysis, w, x, tight).error.find("more than the budget"), std::string::npos);
}

TEST(Executor, FreesActivationsAfterTheirLastUse) {
    Analyzed a = analyzePreset("resnet18");
    TensorMap w = initWeights(a.flat, a.analysis);
    RunOptions options;
    options.keep = {"layer1.0.relu1"};
    RunResult r = run(a.flat, a.analysis, w, Tensor({1, 3, 224, 224}), options);
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.output.shape, (Shape{1, 1000}));
    ASSERT_EQ(r.kept.count("layer1.0.relu1"), 1u);
    EXPECT_EQ(r.kept.at("layer1.0.relu1").shape, (Shape{1, 64, 56, 56}));
    // Far below the sum of all activations: only the live ones are held at once.
    EXPECT_LT(r.peakActivationBytes, a.analysis.totals.activation_bytes / 4);
    EXPECT_GE(r.peakActivationBytes, 2 * 64 * 112 * 112 * 4);  // conv1 output and bn1 output coexist
}

TEST(Executor, InitialisationIsDeterministicAndPerName) {
    Analyzed a = analyzePreset("lenet5");
    TensorMap one = initWeights(a.flat, a.analysis, 3), two = initWeights(a.flat, a.analysis, 3);
    EXPECT_EQ(one.at("conv2.weight").data, two.at("conv2.weight").data);
    EXPECT_NE(one.at("conv2.weight").data, initWeights(a.flat, a.analysis, 4).at("conv2.weight").data);
    float bound = 1.0f / std::sqrt(6.0f * 5 * 5);
    for (float v : one.at("conv2.weight").data) EXPECT_LE(std::abs(v), bound);
}

TEST(Kernels, DepthwiseMatchesItsReferenceForStridesDilationsAndMultipliers) {
    std::mt19937 rng(7);
    for (
        const char* attrs :
        {R"({"out_channels": 8, "kernel_size": 3, "groups": 8, "padding": 1})",
         R"({"out_channels": 8, "kernel_size": 3, "groups": 8, "stride": 2, "padding": "same"})",
         R"({"out_channels": 16, "kernel_size": [5, 3], "groups": 8, "stride": [2, 3], "dilation": 2, "padding": [2, 1, 0, 3]})",
         R"({"out_channels": 8, "kernel_size": 3, "groups": 8, "stride": 3, "padding": "valid", "bias": false})"})
        checkAgainstReference("Conv2d", attrs, {2, 8, 13, 17}, rng);
    checkAgainstReference("DepthwiseConv2d", R"({"depth_multiplier": 2, "kernel_size": 3, "stride": 2, "padding": 1})",
                          {1, 4, 11, 9}, rng);
}
