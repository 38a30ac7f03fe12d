#include <gtest/gtest.h>

#include "helpers.h"
#include "layout.h"

using namespace nw;
using namespace nw::test;

static void expectNoOverlap(const std::vector<Point>& c, double w, double h) {
    for (size_t i = 0; i < c.size(); ++i)
        for (size_t j = i + 1; j < c.size(); ++j)
            EXPECT_TRUE(std::abs(c[i].x - c[j].x) >= w - 1e-6 || std::abs(c[i].y - c[j].y) >= h - 1e-6)
                << i << " and " << j << " overlap";
}

static void expectEdgesFlow(const Document& doc, const std::vector<Point>& c, bool topToBottom) {
    auto index = [&](const std::string& id) {
        for (size_t i = 0; i < doc.graph.nodes.size(); ++i)
            if (doc.graph.nodes[i].id == id) return i;
        return size_t(0);
    };
    for (const auto& e : doc.graph.edges) {
        const Point &a = c[index(e.from)], &b = c[index(e.to)];
        EXPECT_LT(topToBottom ? a.y : a.x, topToBottom ? b.y : b.x) << e.from << " → " << e.to;
    }
}

TEST(Layout, GraphvizLaysOutGoogLeNetTopToBottom) {
    Document doc = loadPreset("googlenet");
    LayoutResult r = layoutDocument(doc, {}, 160, 60);
    EXPECT_TRUE(r.usedGraphviz) << r.warning;
    ASSERT_EQ(r.centers.size(), doc.graph.nodes.size());
    expectNoOverlap(r.centers, 160, 60);
    expectEdgesFlow(doc, r.centers, true);
    for (const auto& n : doc.graph.nodes) EXPECT_TRUE(n.pos.has_value());
}

TEST(Layout, LeftToRightAndBranches) {
    Document doc = loadPreset("bottleneck_demo");
    LayoutOptions o;
    o.direction = LayoutDirection::LeftToRight;
    LayoutResult r = layoutDocument(doc, o, 120, 50);
    EXPECT_TRUE(r.usedGraphviz);
    expectNoOverlap(r.centers, 120, 50);
    expectEdgesFlow(doc, r.centers, false);
}

TEST(Layout, LayeredFallbackHasNoOverlapsAndHandlesCycles) {
    Document doc = loadPreset("resnet18");
    LayoutOptions o;
    o.useGraphviz = false;
    LayoutResult r = layoutDocument(doc, o, 100, 40);
    EXPECT_FALSE(r.usedGraphviz);
    expectNoOverlap(r.centers, 100, 40);
    expectEdgesFlow(doc, r.centers, true);
    std::vector<LayoutNode> nodes{{"a"}, {"b"}, {"c"}};
    std::vector<LayoutEdge> edges{{"a", "b"}, {"b", "c"}, {"c", "b"}};
    LayoutResult cyc = layeredLayout(nodes, edges);
    EXPECT_EQ(cyc.centers.size(), 3u);
    expectNoOverlap(cyc.centers, 160, 60);
}
