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

// Past graphvizMaxNodes the layered layout is used (dot would take minutes): a chain is one
// straight column, a fork fans out symmetrically under its source, and nothing overlaps.
TEST(Layout, LargeGraphsUseTheLayeredLayout) {
    std::vector<LayoutNode> nodes;
    std::vector<LayoutEdge> edges;
    for (int i = 0; i < 3000; ++i) {
        nodes.push_back({"n" + std::to_string(i), 100, 40});
        if (i) edges.push_back({"n" + std::to_string(i - 1), "n" + std::to_string(i)});
    }
    LayoutResult chain = layoutGraph(nodes, edges);
    EXPECT_FALSE(chain.usedGraphviz);
    EXPECT_NE(chain.warning.find("more than 2500"), std::string::npos) << chain.warning;
    for (size_t i = 1; i < chain.centers.size(); ++i) {
        EXPECT_DOUBLE_EQ(chain.centers[i].x, chain.centers[0].x);
        EXPECT_DOUBLE_EQ(chain.centers[i].y - chain.centers[i - 1].y, 40 + 40);  // height + rank gap
    }
    // A fork: a → b, a → c, both → d.
    LayoutOptions o;
    o.useGraphviz = false;
    LayoutResult fork = layoutGraph({{"a", 100, 40}, {"b", 100, 40}, {"c", 100, 40}, {"d", 100, 40}},
                                    {{"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}}, o);
    const auto& c = fork.centers;
    EXPECT_DOUBLE_EQ(c[1].y, c[2].y);
    EXPECT_DOUBLE_EQ(c[2].x - c[1].x, 100 + 30);      // side by side, one gap apart
    EXPECT_DOUBLE_EQ((c[1].x + c[2].x) / 2, c[0].x);  // centred under their source
    EXPECT_DOUBLE_EQ(c[3].x, c[0].x);                 // and the join under both
    expectNoOverlap(c, 100, 40);
}

// Graphviz's routes come back per edge: cubic Bézier points from the source to the target, around
// the nodes in between.
TEST(Layout, DotRoutesEveryEdgeAroundTheNodes) {
    std::vector<LayoutNode> nodes{{"a", 100, 40}, {"b", 100, 40}, {"c", 100, 40}, {"d", 100, 40}};
    std::vector<LayoutEdge> edges{{"a", "b"}, {"b", "c"}, {"a", "c"}, {"c", "d"}, {"a", "nowhere"}};
    LayoutResult r = layoutGraph(nodes, edges);
    ASSERT_TRUE(r.usedGraphviz);
    ASSERT_EQ(r.routes.size(), edges.size());
    EXPECT_TRUE(r.routes[4].empty());  // an edge to a missing node has none
    for (size_t i = 0; i < 4; ++i) {
        const std::vector<Point>& route = r.routes[i];
        ASSERT_GE(route.size(), 4u) << i;
        EXPECT_EQ((route.size() - 1) % 3, 0u) << i;
        const Point from = r.centers[i == 2 ? 0 : i == 3 ? 2 : i], to = r.centers[i == 2 ? 2 : i == 3 ? 3 : i + 1];
        EXPECT_LT(std::abs(route.front().y - (from.y + 20)), 6) << i;  // leaves the bottom of its source
        EXPECT_LT(std::abs(route.back().y - (to.y - 20)), 12) << i;    // and reaches the top of its target
    }
    // The layered layout routes nothing.
    LayoutOptions layered;
    layered.useGraphviz = false;
    EXPECT_TRUE(layoutGraph(nodes, edges, layered).routes.empty());
}
