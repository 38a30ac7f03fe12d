// Training: backward kernels against their plain references, batch norm's and dropout's training
// mode, the loss, the optimizers' update rules and whole backward passes (PyTorch's autograd is the
// reference in tests/reference/check_gradients.py; these check what it cannot see).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>

#include "backprop.h"
#include "helpers.h"
#include "loss.h"
#include "optimizer.h"
#include "registry.h"
#include "weights.h"

using namespace nw;
using namespace nw::test;

namespace {

// A one-layer graph (Input → node): the kind's backward and its plain reference, given the same
// random output gradient, must add the same gradients into inputs and weights that start non-zero.
void checkBackwardAgainstReference(const std::string& kind, const std::string& attrs, const Shape& input,
                                   std::mt19937& rng) {
    SCOPED_TRACE(kind + " " + attrs + " on " + formatShape(input));
    Analyzed a = analyzeText(R"("nodes": [{"id": "in", "kind": "Input"}, {"id": "n", "kind": ")" + kind +
                                 R"(", "attrs": )" + attrs + R"(}], "edges": [{"from": "in", "to": "n"}])",
                             AnalyzeOptions{.inputShape = input});
    ASSERT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
    const FlatNode& node = a.flat.nodes[static_cast<size_t>(a.flat.find("n"))];
    const NodeResult& info = a.node("n");
    ASSERT_NE(node.kind->backwardReference, nullptr);
    Tensor x = randomTensor(input, rng), out(info.outputs[0]), saved;
    std::vector<Tensor> weights;
    for (const WeightSpec& w : info.weights) weights.push_back(randomTensor(w.shape, rng));
    std::vector<const Tensor*> ins{&x}, ws;
    std::vector<Tensor*> mutableWeights;
    for (Tensor& w : weights) {
        ws.push_back(&w);
        mutableWeights.push_back(&w);
    }
    const auto params = node.kind->parseParams(node.view(), ins[0]->shape);
    if (node.kind->trainForward) node.kind->trainForward(TrainArgs{params.get(), ins, mutableWeights, out, saved, 1});
    else node.kind->forward(KernelArgs{params.get(), ins, ws, out});
    const Tensor dy = randomTensor(out.shape, rng);
    // Gradients start random: a backward adds to them.
    Tensor dxFast = randomTensor(input, rng), dxSlow = dxFast;
    std::vector<Tensor> dwFast, dwSlow;
    for (const Tensor& w : weights) dwFast.push_back(randomTensor(w.shape, rng));
    dwSlow = dwFast;
    std::vector<Tensor*> dInFast{&dxFast}, dInSlow{&dxSlow}, dWFast, dWSlow;
    for (size_t i = 0; i < weights.size(); ++i) {
        dWFast.push_back(&dwFast[i]);
        dWSlow.push_back(&dwSlow[i]);
    }
    node.kind->backward(BackwardArgs{params.get(), ins, ws, out, saved, dy, dInFast, dWFast});
    node.kind->backwardReference(BackwardArgs{params.get(), ins, ws, out, saved, dy, dInSlow, dWSlow});
    EXPECT_LT(maxRelDiff(dxFast, dxSlow), 1e-5f) << "dx";
    for (size_t i = 0; i < weights.size(); ++i)
        EXPECT_LT(maxRelDiff(dwFast[i], dwSlow[i]), 1e-5f) << info.weights[i].name;
}

}  // namespace

TEST(Backward, EveryKindThatComputesHasABackwardPass) {
    for (const LayerKind& k : Registry::instance().kinds()) {
        if (k.role != KindRole::Layer) continue;
        EXPECT_NE(k.backward, nullptr) << k.name;
    }
}

TEST(Backward, ConvolutionGemmGradientsMatchThePlainLoops) {
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> pick(0, 1000);
    for (int trial = 0; trial < 30; ++trial) {
        const int64_t groups = std::vector<int64_t>{1, 1, 2, 3}[pick(rng) % 4];
        const int64_t cin = groups * (1 + pick(rng) % 5), cout = groups * (1 + pick(rng) % 5);
        const int64_t kh = 1 + pick(rng) % 4, kw = 1 + pick(rng) % 4, stride = 1 + pick(rng) % 3;
        const int64_t dilation = 1 + pick(rng) % 2, h = 6 + pick(rng) % 10, w = 6 + pick(rng) % 10;
        const std::string padding = std::vector<std::string>{"0", "1", "[2, 1]", "\"same\""}[pick(rng) % 4];
        checkBackwardAgainstReference(
            "Conv2d",
            "{\"out_channels\": " + std::to_string(cout) + ", \"kernel_size\": [" + std::to_string(kh) + ", " +
                std::to_string(kw) + "], \"stride\": " + std::to_string(stride) +
                ", \"dilation\": " + std::to_string(dilation) + ", \"padding\": " + padding +
                ", \"groups\": " + std::to_string(groups) + ", \"bias\": " + (pick(rng) % 2 ? "true" : "false") + "}",
            {1 + pick(rng) % 3, cin, h, w}, rng);
    }
    // More reduction than one cache block (256) in both products, and a batch split into chunks.
    checkBackwardAgainstReference("Conv2d", R"({"out_channels": 300, "kernel_size": 1})", {2, 270, 5, 5}, rng);
    // A grouped 1×1 convolution: dX goes straight into each group's input channels.
    checkBackwardAgainstReference("Conv2d", R"({"out_channels": 6, "kernel_size": 1, "groups": 3})", {4, 9, 5, 7}, rng);
    checkBackwardAgainstReference("Conv2d", R"({"out_channels": 4, "kernel_size": 3, "padding": 1})", {9, 3, 300, 300},
                                  rng);
    checkBackwardAgainstReference("SeparableConv2d", R"({"out_channels": 8, "padding": "same", "stride": 2})",
                                  {2, 5, 13, 9}, rng);
}

TEST(Backward, BatchNormTrainsOnBatchStatisticsAndMovesTheRunningOnes) {
    Analyzed a = analyzeText(R"("nodes": [{"id": "in", "kind": "Input"},
        {"id": "bn", "kind": "BatchNorm2d", "attrs": {"momentum": 0.25}}], "edges": [{"from": "in", "to": "bn"}])",
                             AnalyzeOptions{.inputShape = Shape{2, 1, 1, 2}});
    const FlatNode& node = a.flat.nodes[static_cast<size_t>(a.flat.find("bn"))];
    Tensor x({2, 1, 1, 2});
    x.data = {1, 2, 3, 6};  // mean 3, biased variance 3.5, unbiased 14/3
    Tensor gamma({1}), beta({1}), mean({1}), var({1}), out({2, 1, 1, 2}), saved;
    gamma.data = {2};
    beta.data = {0.5};
    mean.data = {1};
    var.data = {2};
    std::vector<const Tensor*> ins{&x};
    std::vector<Tensor*> ws{&gamma, &beta, &mean, &var};
    node.kind->trainForward(TrainArgs{node.kind->parseParams(node.view(), x.shape).get(), ins, ws, out, saved, 0});
    EXPECT_FLOAT_EQ(mean.data[0], 0.75f * 1 + 0.25f * 3);
    EXPECT_FLOAT_EQ(var.data[0], static_cast<float>(0.75 * 2 + 0.25 * 14.0 / 3.0));
    const double r = 1 / std::sqrt(3.5 + 1e-5);
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(out.data[i], (x.data[i] - 3) * r * 2 + 0.5, 1e-5);
}

TEST(Backward, DropoutDrawsItsMaskFromTheSeedAndScalesWhatItKeeps) {
    Analyzed a = analyzeText(R"("nodes": [{"id": "in", "kind": "Input"},
        {"id": "drop", "kind": "Dropout", "attrs": {"p": 0.3}}], "edges": [{"from": "in", "to": "drop"}])",
                             AnalyzeOptions{.inputShape = Shape{4, 100, 10, 10}});
    const FlatNode& node = a.flat.nodes[static_cast<size_t>(a.flat.find("drop"))];
    Tensor x({4, 100, 10, 10});
    std::fill(x.data.begin(), x.data.end(), 1.0f);
    std::vector<const Tensor*> ins{&x};
    std::vector<Tensor*> none;
    auto draw = [&](uint64_t seed) {
        Tensor out(x.shape), saved;
        node.kind->trainForward(
            TrainArgs{node.kind->parseParams(node.view(), x.shape).get(), ins, none, out, saved, seed});
        return out;
    };
    const Tensor a1 = draw(5), a2 = draw(5), b = draw(6);
    EXPECT_EQ(a1.data, a2.data);
    EXPECT_NE(a1.data, b.data);
    int64_t kept = 0;
    for (float v : a1.data) {
        EXPECT_TRUE(v == 0.0f || std::abs(v - 1 / 0.7f) < 1e-6f) << v;
        kept += v != 0.0f;
    }
    EXPECT_NEAR(static_cast<double>(kept) / static_cast<double>(x.numel()), 0.7, 0.01);
}

TEST(Loss, CrossEntropyIsTorchsWithAndWithoutLabelSmoothing) {
    Tensor z({2, 3});
    z.data = {1, 2, 3, 0.5f, -1, 0};
    const std::vector<int64_t> labels{2, 0};
    auto logSoftmax = [&](size_t n, size_t c) {
        double sum = 0;
        for (size_t k = 0; k < 3; ++k) sum += std::exp(z.data[n * 3 + k]);
        return z.data[n * 3 + c] - std::log(sum);
    };
    LossResult plain = softmaxCrossEntropy(z, labels);
    ASSERT_TRUE(plain.error.empty());
    EXPECT_NEAR(plain.loss, -(logSoftmax(0, 2) + logSoftmax(1, 0)) / 2, 1e-6);
    EXPECT_EQ(plain.correct, 2);
    // ∂/∂z = (softmax − one-hot) / N.
    EXPECT_NEAR(plain.gradient.data[2], (std::exp(logSoftmax(0, 2)) - 1) / 2, 1e-6);
    EXPECT_NEAR(plain.gradient.data[4], std::exp(logSoftmax(1, 1)) / 2, 1e-6);
    LossResult smooth = softmaxCrossEntropy(z, labels, 0.3);
    double expected = 0;
    for (size_t n = 0; n < 2; ++n)
        for (size_t c = 0; c < 3; ++c)
            expected -= ((static_cast<int64_t>(c) == labels[n] ? 0.7 : 0.0) + 0.1) * logSoftmax(n, c);
    EXPECT_NEAR(smooth.loss, expected / 2, 1e-6);
    // A softmax's output: the same loss and the same gradient, for the softmax's input.
    Tensor p(z.shape);
    for (size_t n = 0; n < 2; ++n)
        for (size_t c = 0; c < 3; ++c) p.data[n * 3 + c] = static_cast<float>(std::exp(logSoftmax(n, c)));
    LossResult fromProbabilities = softmaxCrossEntropy(p, labels, 0.3, true);
    EXPECT_NEAR(fromProbabilities.loss, smooth.loss, 1e-6);
    EXPECT_LT(maxRelDiff(fromProbabilities.gradient, smooth.gradient), 1e-5f);
    LossResult bad = softmaxCrossEntropy(z, {2, 3});
    EXPECT_EQ(bad.error, "label 3 of sample 1 is outside the network's 3 output classes (0 to 2)");
}

// The update rules as PyTorch's documentation writes them, in double, step by step.
TEST(Optimizer, UpdatesFollowPyTorchsRules) {
    const std::vector<float> w0{0.5f, -1.0f, 2.0f}, g1{0.1f, -0.2f, 0.3f}, g2{-0.05f, 0.4f, 0.2f};
    auto run = [&](OptimizerOptions o) {
        TensorMap w, g;
        w.emplace("w", Tensor({3}));
        w["w"].data = w0;
        Optimizer opt(o);
        for (const auto& grad : {g1, g2}) {
            g["w"] = Tensor({3});
            g["w"].data = grad;
            opt.step(w, g, o.lr);
        }
        return w["w"].data;
    };
    for (bool nesterov : {false, true}) {
        OptimizerOptions o{OptimizerKind::Sgd, 0.1, 0.9, nesterov, 0.01};
        const std::vector<float> got = run(o);
        for (size_t i = 0; i < 3; ++i) {
            double w = w0[i], b = 0;
            int t = 0;
            for (const auto& grad : {g1, g2}) {
                const double g = grad[i] + 0.01 * w;
                b = t++ == 0 ? g : 0.9 * b + g;
                w -= 0.1 * (nesterov ? g + 0.9 * b : b);
            }
            EXPECT_NEAR(got[i], w, 1e-6) << "nesterov " << nesterov;
        }
    }
    for (OptimizerKind kind : {OptimizerKind::Adam, OptimizerKind::AdamW}) {
        OptimizerOptions o{kind, 0.01, 0, false, 0.1};
        const std::vector<float> got = run(o);
        for (size_t i = 0; i < 3; ++i) {
            double w = w0[i], m = 0, v = 0;
            int t = 0;
            for (const auto& grad : {g1, g2}) {
                ++t;
                double g = grad[i];
                if (kind == OptimizerKind::AdamW) w *= 1 - 0.01 * 0.1;
                else g += 0.1 * w;
                m = 0.9 * m + 0.1 * g;
                v = 0.999 * v + 0.001 * g * g;
                const double mHat = m / (1 - std::pow(0.9, t)), vHat = v / (1 - std::pow(0.999, t));
                w -= 0.01 * mHat / (std::sqrt(vHat) + 1e-8);
            }
            EXPECT_NEAR(got[i], w, 1e-6) << (kind == OptimizerKind::Adam ? "adam" : "adamw");
        }
    }
}

TEST(Optimizer, StateRoundTripsThroughTensors) {
    TensorMap w, g;
    w.emplace("a", Tensor({2}));
    g.emplace("a", Tensor({2}));
    g["a"].data = {1, 2};
    Optimizer first({OptimizerKind::Adam, 0.1});
    first.step(w, g, 0.1);
    Optimizer second({OptimizerKind::Adam, 0.1});
    ASSERT_EQ(second.restore(first.state()), "");
    EXPECT_EQ(second.steps(), 1);
    TensorMap w1 = w, w2 = w;
    first.step(w1, g, 0.1);
    second.step(w2, g, 0.1);
    EXPECT_EQ(w1["a"].data, w2["a"].data);
    EXPECT_NE(second.restore({{"a.velocity", Tensor({2})}}), "");
}

TEST(Optimizer, SchedulesMatchTrainPy) {
    const Schedule cosine{ScheduleKind::Cosine, 0}, step{ScheduleKind::Step, 0}, warm{ScheduleKind::Constant, 4};
    EXPECT_DOUBLE_EQ(scheduleFactor(cosine, 0, 10, 3), 1.0);
    EXPECT_NEAR(scheduleFactor(cosine, 15, 10, 3), 0.5 * (1 + std::cos(M_PI * 0.5)), 1e-12);
    EXPECT_DOUBLE_EQ(scheduleFactor(step, 9, 10, 6), 1.0);  // ×0.1 every 2 epochs of 6
    EXPECT_NEAR(scheduleFactor(step, 20, 10, 6), 0.1, 1e-15);
    EXPECT_NEAR(scheduleFactor(step, 40, 10, 6), 0.01, 1e-15);
    EXPECT_DOUBLE_EQ(scheduleFactor(warm, 1, 10, 1), 0.5);
    EXPECT_DOUBLE_EQ(scheduleFactor(warm, 9, 10, 1), 1.0);
    EXPECT_EQ(parseOptimizer("adamw"), OptimizerKind::AdamW);
    EXPECT_EQ(parseSchedule("linear"), std::nullopt);
}

TEST(Backprop, IsDeterministicAndIndependentOfTheThreadCount) {
    Analyzed a = analyzePreset("mnist_residual", AnalyzeOptions{.inputShape = Shape{3, 1, 28, 28}});
    std::mt19937 rng(3);
    const Tensor x = randomTensor({3, 1, 28, 28}, rng);
    Backprop backprop(a.flat, a.analysis);
    ASSERT_EQ(backprop.error(), "");
    auto gradients = [&](int threads) {
        TensorMap w = initWeights(a.flat, a.analysis, 1), g;
        const int before = omp_get_max_threads();
        omp_set_num_threads(threads);
        BackpropResult r = backprop.run(w, x, {1, 7, 3}, g);
        omp_set_num_threads(before);
        EXPECT_EQ(r.error, "");
        EXPECT_GT(r.loss, 0);
        return g;
    };
    const TensorMap one = gradients(1), two = gradients(2), again = gradients(2);
    ASSERT_EQ(one.size(), two.size());
    for (const auto& [name, t] : one) {
        EXPECT_EQ(t.data, two.at(name).data) << name;
        EXPECT_EQ(t.data, again.at(name).data) << name;
    }
}

TEST(Backprop, SaysWhyAGraphCannotBeTrained) {
    Analyzed spatial = analyzeText(R"("nodes": [{"id": "in", "kind": "Input"},
        {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 2}}, {"id": "out", "kind": "Output"}],
        "edges": [{"from": "in", "to": "c"}, {"from": "c", "to": "out"}])",
                                   AnalyzeOptions{.inputShape = Shape{1, 1, 8, 8}});
    EXPECT_EQ(Backprop(spatial.flat, spatial.analysis).error(),
              "the network's output ('c') is 1×2×6×6; training needs N × classes scores (end the network in a Linear "
              "or a global pooling)");
    Analyzed lenet = analyzePreset("lenet5", AnalyzeOptions{.inputShape = Shape{2, 1, 32, 32}});
    Backprop backprop(lenet.flat, lenet.analysis);
    TensorMap w = initWeights(lenet.flat, lenet.analysis), g;
    Tensor x({2, 1, 32, 32});
    EXPECT_EQ(backprop.run(w, x, {0, 10}, g).error,
              "label 10 of sample 1 is outside the network's 10 output classes (0 to 9)");
    EXPECT_EQ(backprop.run(w, Tensor({1, 1, 32, 32}), {0}, g).error,
              "the batch is 1×1×32×32 but the network was analysed for 2×1×32×32");
    w.erase("fc1.weight");
    EXPECT_NE(backprop.run(w, x, {0, 1}, g).error.find("fc1.weight"), std::string::npos);
}

// Backprop keeps its activations' and gradients' buffers between steps: a second and third pass on
// the same object give what a fresh one gives, for the kinds with a training forward (batch norm,
// dropout, separable) and a merge.
TEST(Backprop, ReusedBuffersGiveWhatAFreshPassGives) {
    Analyzed a =
        analyzeText(R"("nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 2, "height": 9, "width": 9}},
        {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 4, "padding": 1}},
        {"id": "bn", "kind": "BatchNorm2d"}, {"id": "r", "kind": "ReLU"},
        {"id": "d", "kind": "Dropout", "attrs": {"p": 0.3}},
        {"id": "s", "kind": "SeparableConv2d", "attrs": {"out_channels": 6, "padding": "same"}},
        {"id": "cat", "kind": "Concat"}, {"id": "pool", "kind": "MaxPool2d"},
        {"id": "gap", "kind": "GlobalAvgPool"}, {"id": "flat", "kind": "Flatten"},
        {"id": "fc", "kind": "Linear", "attrs": {"out_features": 5}}, {"id": "out", "kind": "Output"}],
        "edges": [{"from": "in", "to": "c"}, {"from": "c", "to": "bn"}, {"from": "bn", "to": "r"},
        {"from": "r", "to": "d"}, {"from": "d", "to": "s"}, {"from": "s", "to": "cat", "to_port": "in0"},
        {"from": "r", "to": "cat", "to_port": "in1"}, {"from": "cat", "to": "pool"}, {"from": "pool", "to": "gap"},
        {"from": "gap", "to": "flat"}, {"from": "flat", "to": "fc"}, {"from": "fc", "to": "out"}])",
                    AnalyzeOptions{.inputShape = Shape{3, 2, 9, 9}});
    ASSERT_EQ(a.analysis.errorCount(), 0);
    std::mt19937 rng(5);
    const Tensor x = randomTensor({3, 2, 9, 9}, rng);
    const TensorMap start = initWeights(a.flat, a.analysis, 4);
    auto pass = [&](Backprop& backprop, TensorMap& g) {
        TensorMap w = start;
        BackpropResult r = backprop.run(w, x, {1, 4, 0}, g, BackpropOptions{.inputGradient = true, .seed = 9});
        EXPECT_EQ(r.error, "");
        return std::make_pair(w, r.inputGradient);
    };
    Backprop fresh(a.flat, a.analysis), reused(a.flat, a.analysis);
    ASSERT_EQ(fresh.error(), "");
    TensorMap expected, g;
    const auto [weights, dx] = pass(fresh, expected);
    for (int step = 0; step < 3; ++step) {
        const auto [w, dxAgain] = pass(reused, g);
        ASSERT_EQ(g.size(), expected.size());
        for (const auto& [name, t] : expected) EXPECT_EQ(t.data, g.at(name).data) << name << " at pass " << step;
        for (const auto& [name, t] : weights) EXPECT_EQ(t.data, w.at(name).data) << name << " at pass " << step;
        EXPECT_EQ(dx.data, dxAgain.data);
    }
}

// A batch of kSplitBatch or more runs as two halves side by side: the same gradients at 1 and 2
// threads, the whole batch's within rounding, a bad label named by its place in the whole batch.
TEST(Backprop, ALargeBatchSplitInHalvesGivesTheWholeBatchsGradients) {
    const int64_t N = Backprop::kSplitBatch + 3;
    Analyzed a = analyzePreset("mnist_residual", AnalyzeOptions{.inputShape = Shape{N, 1, 28, 28}});
    std::mt19937 rng(8);
    const Tensor x = randomTensor({N, 1, 28, 28}, rng);
    std::vector<int64_t> labels;
    for (int64_t n = 0; n < N; ++n) labels.push_back(n * 7 % 10);
    Backprop backprop(a.flat, a.analysis);
    auto gradients = [&](int threads, bool split, BackpropResult* result = nullptr) {
        TensorMap w = initWeights(a.flat, a.analysis, 2), g;
        const int before = omp_get_max_threads();
        omp_set_num_threads(threads);
        BackpropResult r = backprop.run(w, x, labels, g, BackpropOptions{.inputGradient = true, .split = split});
        omp_set_num_threads(before);
        EXPECT_EQ(r.error, "");
        if (result) *result = r;
        return g;
    };
    BackpropResult halves, whole;
    const TensorMap one = gradients(1, true), two = gradients(2, true, &halves),
                    reference = gradients(2, false, &whole);
    ASSERT_EQ(two.size(), reference.size());
    EXPECT_NEAR(halves.loss, whole.loss, 1e-6 * whole.loss);
    EXPECT_EQ(halves.correct, whole.correct);
    for (const auto& [name, t] : reference) {
        EXPECT_EQ(one.at(name).data, two.at(name).data) << name;
        float largest = 0, off = 0;
        for (size_t k = 0; k < t.data.size(); ++k) {
            largest = std::max(largest, std::abs(t.data[k]));
            off = std::max(off, std::abs(t.data[k] - two.at(name).data[k]));
        }
        EXPECT_LE(off, 1e-5f * largest) << name;
    }
    ASSERT_EQ(halves.inputGradient.shape, x.shape);
    float off = 0;
    for (size_t k = 0; k < x.data.size(); ++k)
        off = std::max(off, std::abs(halves.inputGradient.data[k] - whole.inputGradient.data[k]));
    EXPECT_LE(off, 1e-7f);
    labels[static_cast<size_t>(N - 1)] = 12;
    TensorMap w = initWeights(a.flat, a.analysis, 2), g;
    EXPECT_EQ(backprop.run(w, x, labels, g).error,
              "label 12 of sample " + std::to_string(N - 1) + " is outside the network's 10 output classes (0 to 9)");
}
