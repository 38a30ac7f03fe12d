// Automatic layout of a node graph with Graphviz dot, with a plain layered fallback.
#pragma once
#include <string>
#include <vector>

#include "graph.h"

namespace nw {

struct LayoutNode {
    std::string id;
    double width = 160, height = 60;  // in scene units (points), given by the caller
};

struct LayoutEdge {
    std::string from, to;
};

enum class LayoutDirection { TopToBottom, LeftToRight };

struct LayoutResult {
    std::vector<Point> centers;  // parallel to the input nodes, y growing downwards
    // Parallel to the input edges: Graphviz's route around the nodes as cubic Bézier points (start,
    // control, control, point, control, control, point …), y downwards; empty where there is none
    // (the layered layout, an edge to a missing node).
    std::vector<std::vector<Point>> routes;
    bool usedGraphviz = false;
    std::string warning;  // why the fallback was used
};

struct LayoutOptions {
    LayoutDirection direction = LayoutDirection::TopToBottom;
    double nodeGap = 30, rankGap = 40;
    bool useGraphviz = true;
    // Past this many nodes dot's cost grows steeply (10k nodes: 8 s, 100k: past ten minutes): the
    // layered layout, linear in the graph, is used instead.
    size_t graphvizMaxNodes = 2500;
};

LayoutResult layoutGraph(const std::vector<LayoutNode>& nodes, const std::vector<LayoutEdge>& edges,
                         const LayoutOptions& options = {});
// The layered layout for graphs too large for dot, or when Graphviz fails: rank = longest path from
// a source, each node placed at the mean of its predecessors, overlaps pushed apart.
LayoutResult layeredLayout(const std::vector<LayoutNode>& nodes, const std::vector<LayoutEdge>& edges,
                           const LayoutOptions& options = {});

// Which way a placed graph flows: left to right when its wires run more across than down (as the
// left-to-right layout leaves them), else top to bottom. Ports are drawn on the sides it implies.
LayoutDirection flowDirection(const Graph& graph);

// Lays out the document's top-level graph (every node the given size) and stores the positions.
LayoutResult layoutDocument(Document& doc, const LayoutOptions& options = {}, double width = 160, double height = 60);

}  // namespace nw
