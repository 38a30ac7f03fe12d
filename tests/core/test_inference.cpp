// The inference session the CLI and the Run panel share: inputs, weights, memory, top classes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "helpers.h"
#include "inference.h"
#include "weights.h"

using namespace nw;
using namespace nw::test;

static std::string sample(const std::string& name) {
    return std::string(NETWRIGHT_SOURCE_DIR) + "/resources/samples/" + name;
}

TEST(Inference, AnImageRunsAsTheInputNodeSaysAndComesBackAsLabelledClasses) {
    InferenceRequest request;
    request.image = sample("fashion_sneaker.png");
    request.keepNodeOutputs = true;
    const InferenceResult r = infer(loadPreset("lenet5"), request);
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.output.shape, (Shape{1, 10}));
    ASSERT_EQ(r.top.size(), 1u);
    ASSERT_EQ(r.top[0].size(), 5u);
    EXPECT_TRUE(r.softmaxApplied);  // LeNet-5 ends in logits
    float sum = 0;
    const float* v = r.output.ptr();
    const float m = *std::max_element(v, v + 10);
    for (int i = 0; i < 10; ++i) sum += std::exp(v[i] - m);
    for (size_t i = 0; i < 5; ++i) {
        const Prediction& p = r.top[0][i];
        EXPECT_FLOAT_EQ(p.value, v[p.index]);
        EXPECT_NEAR(p.probability, std::exp(v[p.index] - m) / sum, 1e-6);
        EXPECT_EQ(p.label, std::to_string(p.index));  // MNIST's labels are its digits
        if (i) {
            EXPECT_GE(r.top[0][i - 1].value, p.value);
        }
    }
    // Each top-level node's output, by node id (the Run panel's feature maps).
    ASSERT_TRUE(r.nodeOutputs.count("conv1"));
    EXPECT_EQ(r.nodeOutputs.at("conv1").shape, (Shape{1, 6, 28, 28}));
    // The same seed gives the same answer; another seed another.
    EXPECT_EQ(infer(loadPreset("lenet5"), request).output.data, r.output.data);
    request.seed = 7;
    EXPECT_NE(infer(loadPreset("lenet5"), request).output.data, r.output.data);
}

TEST(Inference, TensorInputsWeightsAndBudgetsAreCheckedWithReasons) {
    InferenceRequest request;
    Tensor x(Shape{1, 32, 32});  // one sample without its batch dimension
    request.inputs[""] = x;
    InferenceResult r = infer(loadPreset("lenet5"), request);
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.analysis.inputShape, (Shape{1, 1, 32, 32}));
    // Weights given as tensors are used as they are.
    auto weights = std::make_shared<const TensorMap>(initWeights(r.flat, r.analysis, 3));
    request.weights = weights;
    InferenceRequest seeded = request;
    seeded.weights.reset();
    seeded.seed = 3;
    EXPECT_EQ(infer(loadPreset("lenet5"), request).output.data, infer(loadPreset("lenet5"), seeded).output.data);
    // A weights file that does not exist, a budget too small, a broken network: each says why.
    request.weightsPath = "/nonexistent/w.safetensors";
    EXPECT_NE(infer(loadPreset("lenet5"), request).error.find("/nonexistent/w.safetensors"), std::string::npos);
    request.weightsPath.clear();
    request.run.memoryBudgetBytes = 1000;
    EXPECT_NE(infer(loadPreset("lenet5"), request).error.find("more than the budget of 1,000 bytes"),
              std::string::npos);
    Document broken = loadPreset("lenet5");
    for (Node& n : broken.graph.nodes)
        if (n.kind == "Linear") n.attrs["in_features"] = int64_t{7};
    request.run.memoryBudgetBytes = defaultMemoryBudget();
    r = infer(broken, request);
    EXPECT_NE(r.error.find("error(s)"), std::string::npos);
    EXPECT_FALSE(r.diagnostics.empty());
    EXPECT_NE(infer(loadPreset("lenet5"), InferenceRequest{.image = "/nonexistent.png"}).error.find("/nonexistent.png"),
              std::string::npos);
}

TEST(Inference, TopClassesTakeAnOutputThatIsADistributionAsItIs) {
    Tensor logits(Shape{2, 3});
    logits.data = {1, 3, 2, 0.2f, 0.5f, 0.3f};
    bool softmax = false;
    auto top = topClasses(logits, 2, {"a", "b", "c"}, softmax);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_TRUE(softmax);
    EXPECT_EQ(top[0][0].label, "b");
    EXPECT_EQ(top[0][1].index, 2);
    const double z = std::exp(1.0) + std::exp(3.0) + std::exp(2.0);
    EXPECT_NEAR(top[0][0].probability, std::exp(3.0) / z, 1e-6);
    Tensor probs(Shape{1, 3});
    probs.data = {0.2f, 0.5f, 0.3f};
    top = topClasses(probs, 5, {}, softmax);
    EXPECT_FALSE(softmax);
    ASSERT_EQ(top[0].size(), 3u);  // no more than there are
    EXPECT_FLOAT_EQ(top[0][0].probability, 0.5f);
    EXPECT_EQ(top[0][0].label, "");
}

TEST(Inference, DataFolderComesFromOneVariable) {
    const std::string built = dataDir();
    setenv("NETWRIGHT_DATA", "/opt/somewhere", 1);
    EXPECT_EQ(dataDir(), "/opt/somewhere");
    unsetenv("NETWRIGHT_DATA");
    EXPECT_EQ(dataDir(), built);
}
