// Data-driven: every preset's counts against the references in contracts.md / networks.md.
#include <gtest/gtest.h>

#include "helpers.h"
#include "registry.h"

using namespace nw;
using namespace nw::test;

struct PresetFacts {
    const char* file;
    const char* name;
    int64_t trainable;
    Shape input, output;
};

static const PresetFacts kFacts[] = {
    {"lenet5", "LeNet-5", 61'706, {1, 1, 32, 32}, {1, 10}},
    {"alexnet", "AlexNet", 61'100'840, {1, 3, 224, 224}, {1, 1000}},
    {"vgg16", "VGG-16", 138'357'544, {1, 3, 224, 224}, {1, 1000}},
    {"vgg19", "VGG-19", 143'667'240, {1, 3, 224, 224}, {1, 1000}},
    {"googlenet", "GoogLeNet", 6'624'904, {1, 3, 224, 224}, {1, 1000}},
    {"resnet18", "ResNet-18", 11'689'512, {1, 3, 224, 224}, {1, 1000}},
    {"resnet34", "ResNet-34", 21'797'672, {1, 3, 224, 224}, {1, 1000}},
    {"resnet50", "ResNet-50", 25'557'032, {1, 3, 224, 224}, {1, 1000}},
    {"resnet101", "ResNet-101", 44'549'160, {1, 3, 224, 224}, {1, 1000}},
    {"resnet152", "ResNet-152", 60'192'808, {1, 3, 224, 224}, {1, 1000}},
    {"xception", "Xception", 22'855'952, {1, 3, 299, 299}, {1, 1000}},
    {"mnist_inception", "MNIST Inception net", 97'298, {1, 1, 28, 28}, {1, 10}},
    {"mnist_residual", "MNIST residual net", 41'514, {1, 1, 28, 28}, {1, 10}},
};

TEST(Presets, CountsMatchTheReferences) {
    const LayerKind* bn = Registry::instance().find("BatchNorm2d");
    for (const auto& f : kFacts) {
        Analyzed a = analyzePreset(f.file);
        SCOPED_TRACE(f.file);
        EXPECT_EQ(a.analysis.diagnostics.size(), 0u) << a.allDiagnostics();
        EXPECT_EQ(a.doc.name, f.name);
        EXPECT_EQ(a.analysis.totals.trainable, f.trainable);
        EXPECT_EQ(a.analysis.inputShape, f.input);
        EXPECT_EQ(a.analysis.outputShape, f.output);
        // Non-trainable = 2 × batch-norm channels, counted here from the BN nodes' output shapes.
        int64_t bnChannels = 0;
        for (size_t i = 0; i < a.flat.nodes.size(); ++i)
            if (a.flat.nodes[i].kind == bn) bnChannels += a.analysis.nodes[i].outputs[0][1];
        EXPECT_EQ(a.analysis.totals.non_trainable, 2 * bnChannels);
        EXPECT_EQ(a.analysis.totals.params, a.analysis.totals.trainable + a.analysis.totals.non_trainable);
    }
}

TEST(Presets, XceptionWithStatisticsMatchesKerasTotal) {
    Analyzed a = analyzePreset("xception");
    EXPECT_EQ(a.analysis.totals.non_trainable, 54'528);
    EXPECT_EQ(a.analysis.totals.params, 22'910'480);
}

TEST(Presets, ResNet50MacsAndPerLayerCounts) {
    Analyzed a = analyzePreset("resnet50");
    EXPECT_EQ(a.analysis.totals.macs, 4'089'184'256);
    EXPECT_EQ(a.node("conv1").counts.macs, 118'013'952);  // 64·112·112·3·7·7
    EXPECT_EQ(a.node("conv1").counts.params, 9'408);
    EXPECT_EQ(a.node("fc").counts.macs, 2'048'000);
    EXPECT_EQ(a.node("layer1.0.bn1").counts.non_trainable, 128);
}

TEST(Presets, BottleneckDemoArithmetic) {
    Analyzed a = analyzePreset("bottleneck_demo");
    EXPECT_EQ(a.node("direct.conv5x5").counts.macs, 120'422'400);
    EXPECT_EQ(a.node("bottleneck.reduce1x1").counts.macs, 2'408'448);
    EXPECT_EQ(a.node("bottleneck.conv5x5").counts.macs, 10'035'200);
}
