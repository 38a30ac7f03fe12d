#include <gtest/gtest.h>

#include <set>

#include "registry.h"

using namespace nw;

TEST(Registry, HasEveryKindTheDesignerNeeds) {
    for (const char* k : {"Input",
                          "Conv2d",
                          "DepthwiseConv2d",
                          "SeparableConv2d",
                          "MaxPool2d",
                          "AvgPool2d",
                          "AdaptiveAvgPool2d",
                          "GlobalAvgPool",
                          "BatchNorm2d",
                          "ReLU",
                          "LeakyReLU",
                          "Sigmoid",
                          "Tanh",
                          "Softmax",
                          "Dropout",
                          "Flatten",
                          "Linear",
                          "Concat",
                          "Add",
                          "ZeroPadChannels",
                          "LRN",
                          "Output"})
        EXPECT_NE(Registry::instance().find(k), nullptr) << k;
    EXPECT_EQ(Registry::instance().find("Conv2D"), nullptr);  // names are exact
}

TEST(Registry, EveryKindIsCompleteAndSelfConsistent) {
    std::set<std::string> names;
    for (const LayerKind& k : Registry::instance().kinds()) {
        EXPECT_TRUE(names.insert(k.name).second) << "duplicate kind " << k.name;
        EXPECT_NE(k.infer, nullptr) << k.name;
        EXPECT_FALSE(k.category.empty()) << k.name;
        EXPECT_FALSE(k.doc.empty()) << k.name;
        EXPECT_EQ(k.role == KindRole::Input, k.inputs.empty()) << k.name;  // only inputs start from nothing
        EXPECT_EQ(k.role == KindRole::Output, k.outputs.empty()) << k.name;
        if (k.epilogue == Epilogue::ResidualAdd) {
            EXPECT_TRUE(k.variadic) << k.name;  // fused only with two inputs
        }
        if (k.variadic) {
            EXPECT_GE(k.attrIndex("num_inputs"), 0) << k.name;
        }
        std::set<std::string> attrs;
        for (const AttrSpec& s : k.attrs) {
            EXPECT_TRUE(attrs.insert(s.name).second) << k.name << "." << s.name;
            EXPECT_FALSE(s.doc.empty()) << k.name << "." << s.name;
            std::string error;
            // Every default must pass its own spec.
            EXPECT_TRUE(coerceAttr(s, s.def, error).has_value()) << k.name << "." << s.name << ": " << error;
        }
    }
}

TEST(Attr, CoercesFileForms) {
    const LayerKind& conv = *Registry::instance().find("Conv2d");
    std::string error;
    EXPECT_EQ(std::get<std::vector<int64_t>>(*coerceAttr(*conv.attr("kernel_size"), int64_t{3}, error)),
              (std::vector<int64_t>{3, 3}));
    EXPECT_EQ(std::get<std::vector<int64_t>>(*coerceAttr(*conv.attr("padding"), std::vector<int64_t>{1, 2}, error)),
              (std::vector<int64_t>{1, 2, 1, 2}));
    EXPECT_EQ(std::get<std::string>(*coerceAttr(*conv.attr("padding"), std::string("same"), error)), "same");
    EXPECT_FALSE(coerceAttr(*conv.attr("padding"), std::string("full"), error));
    EXPECT_NE(error.find("same"), std::string::npos);
    EXPECT_FALSE(coerceAttr(*conv.attr("out_channels"), int64_t{1'000'000'000'000}, error));
    EXPECT_NE(error.find("outside"), std::string::npos);
    EXPECT_FALSE(coerceAttr(*conv.attr("bias"), std::string("yes"), error));
    EXPECT_NE(error.find("true or false"), std::string::npos);
    EXPECT_FALSE(coerceAttr(*conv.attr("kernel_size"), std::vector<int64_t>{1, 2, 3}, error));
}

TEST(Attr, ClosestNameSuggestsTypos) {
    EXPECT_EQ(closestName("kernal_size", {"kernel_size", "stride"}), "kernel_size");
    EXPECT_EQ(closestName("Conv2D", {"Conv2d", "Linear"}), "Conv2d");
    EXPECT_EQ(closestName("banana", {"Conv2d", "Linear"}), "");
}
