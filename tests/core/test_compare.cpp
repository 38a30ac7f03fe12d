#include <gtest/gtest.h>

#include "compare.h"
#include "helpers.h"
#include "report.h"

using namespace nw;
using namespace nw::test;

static Analyzed fixture(const std::string& name) {
    LoadResult r = loadNetw(std::string(NETWRIGHT_SOURCE_DIR) + "/tests/data/" + name + ".netw");
    return analyzeDocument(std::move(*r.document));
}

TEST(Compare, BottleneckDemoReadsAtAGlance) {
    Analyzed a = analyzePreset("bottleneck_demo");
    Comparison c =
        compare({"direct", &a.flat, &a.analysis, "direct"}, {"bottleneck", &a.flat, &a.analysis, "bottleneck"});
    EXPECT_EQ(c.totalA.macs, 120'422'400);
    EXPECT_EQ(c.totalB.macs, 12'443'648);
    ASSERT_EQ(c.rows.size(), 2u);
    EXPECT_EQ(c.rows[0].name, "conv5x5");  // matched across the two by name
    EXPECT_GE(c.rows[0].a, 0);
    EXPECT_GE(c.rows[0].b, 0);
    EXPECT_EQ(c.rows[1].name, "reduce1x1");
    EXPECT_EQ(c.rows[1].a, -1);
    std::string table = compareTable(c);
    EXPECT_NE(table.find("120,422,400"), std::string::npos) << table;
    EXPECT_NE(table.find("12,443,648"), std::string::npos) << table;
    EXPECT_NE(table.find("0.103×"), std::string::npos) << table;
}

TEST(Compare, BasicBlockVsBottleneckAt256Channels) {
    Analyzed a = fixture("resnet_blocks_256");
    EXPECT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
    Comparison c =
        compare({"basic", &a.flat, &a.analysis, "basic"}, {"bottleneck", &a.flat, &a.analysis, "bottleneck"});
    EXPECT_EQ(c.totalA.weights, 1'179'648);
    EXPECT_EQ(c.totalB.weights, 69'632);
}

TEST(Compare, StandardVsSeparable) {
    Analyzed a = fixture("separable_vs_standard");
    Comparison c =
        compare({"standard", &a.flat, &a.analysis, "standard"}, {"separable", &a.flat, &a.analysis, "separable"});
    EXPECT_EQ(c.totalA.params, 1'728);
    EXPECT_EQ(c.totalB.params, 219);
}

TEST(Compare, TwoWholeFiles) {
    Analyzed x = analyzePreset("resnet18"), y = analyzePreset("resnet34");
    Comparison c = compare({"18", &x.flat, &x.analysis, ""}, {"34", &y.flat, &y.analysis, ""});
    EXPECT_EQ(c.totalA.trainable, 11'689'512);
    EXPECT_EQ(c.totalB.trainable, 21'797'672);
    size_t onlyB = 0;
    for (const auto& r : c.rows) onlyB += r.a < 0;
    EXPECT_GT(onlyB, 0u);  // layer1.2 … exist only in ResNet-34
}

// summary --depth: module instances as rows with their subtotals, as torchinfo's depth.
TEST(Summary, DepthGroupsLayersByModuleInstance) {
    Document doc = loadPreset("bottleneck_demo");
    Analyzed a = analyzeDocument(doc);
    const auto groups = groupLayers(doc, a.flat, a.analysis, 1);
    auto find = [&](const std::vector<SummaryGroup>& gs, const std::string& name) -> const SummaryGroup& {
        for (const auto& g : gs)
            if (g.name == name) return g;
        throw std::runtime_error("no group " + name);
    };
    EXPECT_EQ(find(groups, "direct").counts.macs, 120'422'400);
    EXPECT_EQ(find(groups, "bottleneck").counts.macs, 12'443'648);
    EXPECT_EQ(find(groups, "bottleneck").kind, "Bottleneck5x5");
    EXPECT_EQ(find(groups, "bottleneck").layers, 2);

    Document r50 = loadPreset("resnet50");
    Analyzed b = analyzeDocument(r50);
    const auto top = groupLayers(r50, b.flat, b.analysis, 1);
    int64_t params = 0;
    for (const auto& g : top) params += g.counts.params;
    EXPECT_EQ(params, b.analysis.totals.params);  // the subtotals add up
    EXPECT_EQ(find(top, "layer1").kind, "Bottleneck ×3");
    EXPECT_EQ(find(top, "layer1").output, (Shape{1, 256, 56, 56}));
    const auto blocks = groupLayers(r50, b.flat, b.analysis, 2);
    EXPECT_EQ(find(blocks, "layer1.0").kind, "Bottleneck");
    EXPECT_EQ(find(blocks, "layer1.0").counts.params + find(blocks, "layer1.1").counts.params +
                  find(blocks, "layer1.2").counts.params,
              find(top, "layer1").counts.params);
    EXPECT_EQ(find(blocks, "conv1").kind, "Conv2d");
}
