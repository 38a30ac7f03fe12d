#include "layout.h"

#include "name_index.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <graphviz/gvplugin.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

extern "C" gvplugin_library_t gvplugin_dot_layout_LTX_library;

namespace nw {

namespace {

std::mutex graphvizMutex;  // Graphviz keeps global state: one layout at a time

std::string inches(double points) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", points / 72.0);
    return buf;
}

void set(void* obj, const char* key, const std::string& value) {
    agsafeset(obj, const_cast<char*>(key), const_cast<char*>(value.c_str()), const_cast<char*>(""));
}

}  // namespace

// Runs dot; nullopt when Graphviz fails.
static std::optional<LayoutResult> runDot(const std::vector<LayoutNode>& nodes, const std::vector<LayoutEdge>& edges,
                                          const LayoutOptions& options) {
    std::unordered_map<std::string, size_t> index;
    for (size_t i = 0; i < nodes.size(); ++i) index.emplace(nodes[i].id, i);

    std::lock_guard<std::mutex> lock(graphvizMutex);
    GVC_t* gvc = gvContextPlugins(nullptr, 0);
    gvAddLibrary(gvc, &gvplugin_dot_layout_LTX_library);
    Agraph_t* g = agopen(const_cast<char*>("netwright"), Agdirected, nullptr);
    set(g, "rankdir", options.direction == LayoutDirection::TopToBottom ? "TB" : "LR");
    set(g, "nodesep", inches(options.nodeGap));
    set(g, "ranksep", inches(options.rankGap));
    std::vector<Agnode_t*> gvNodes;
    for (size_t i = 0; i < nodes.size(); ++i) {
        std::string name = "n" + std::to_string(i);  // ids may hold characters dot would need quoted
        Agnode_t* n = agnode(g, name.data(), 1);
        set(n, "shape", "box");
        set(n, "fixedsize", "true");
        set(n, "width", inches(nodes[i].width));
        set(n, "height", inches(nodes[i].height));
        set(n, "label", "");
        gvNodes.push_back(n);
    }
    std::vector<Agedge_t*> gvEdges;
    for (size_t i = 0; i < edges.size(); ++i) {
        auto a = index.find(edges[i].from), b = index.find(edges[i].to);
        Agedge_t* e = nullptr;
        if (a != index.end() && b != index.end()) {
            // A name per edge: two wires between the same nodes (an Add of x and x) stay two edges.
            std::string name = "e" + std::to_string(i);
            e = agedge(g, gvNodes[a->second], gvNodes[b->second], name.data(), 1);
        }
        gvEdges.push_back(e);
    }
    std::optional<LayoutResult> out;
    if (gvLayout(gvc, g, "dot") == 0) {
        double top = GD_bb(g).UR.y;
        out.emplace();
        out->usedGraphviz = true;
        for (Agnode_t* n : gvNodes) out->centers.push_back({ND_coord(n).x, top - ND_coord(n).y});
        for (Agedge_t* e : gvEdges) {
            std::vector<Point>& route = out->routes.emplace_back();
            const splines* spl = e ? ED_spl(e) : nullptr;
            if (!spl || spl->size < 1) continue;
            const bezier& bz = spl->list[0];
            for (int k = 0; k < bz.size; ++k) route.push_back({bz.list[k].x, top - bz.list[k].y});
            if (route.size() < 4 || (route.size() - 1) % 3 != 0) route.clear();
        }
        gvFreeLayout(gvc, g);
    }
    agclose(g);
    gvFreeContext(gvc);
    return out;
}

LayoutResult layoutGraph(const std::vector<LayoutNode>& nodes, const std::vector<LayoutEdge>& edges,
                         const LayoutOptions& options) {
    if (options.useGraphviz && !nodes.empty() && nodes.size() <= options.graphvizMaxNodes) {
        if (auto dot = runDot(nodes, edges, options)) return std::move(*dot);
        LayoutResult r = layeredLayout(nodes, edges, options);
        r.warning = "Graphviz dot layout failed; used the layered layout";
        return r;
    }
    LayoutResult r = layeredLayout(nodes, edges, options);
    if (options.useGraphviz && nodes.size() > options.graphvizMaxNodes)
        r.warning = "Graphviz dot would take minutes on " + std::to_string(nodes.size()) + " nodes (more than " +
                    std::to_string(options.graphvizMaxNodes) + ")";
    return r;
}

LayoutResult layeredLayout(const std::vector<LayoutNode>& nodes, const std::vector<LayoutEdge>& edges,
                           const LayoutOptions& options) {
    std::unordered_map<std::string_view, size_t> index;
    index.reserve(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) index.emplace(nodes[i].id, i);
    std::vector<std::vector<size_t>> succ(nodes.size()), pred(nodes.size());
    std::vector<int> indegree(nodes.size(), 0);
    for (const auto& e : edges) {
        auto a = index.find(e.from), b = index.find(e.to);
        if (a == index.end() || b == index.end()) continue;
        succ[a->second].push_back(b->second);
        pred[b->second].push_back(a->second);
        ++indegree[b->second];
    }
    // Rank = longest path from a source; nodes on cycles keep the rank they had reached.
    std::vector<size_t> rank(nodes.size(), 0), queue;
    for (size_t i = 0; i < nodes.size(); ++i)
        if (indegree[i] == 0) queue.push_back(i);
    for (size_t h = 0; h < queue.size(); ++h)
        for (size_t s : succ[queue[h]]) {
            rank[s] = std::max(rank[s], rank[queue[h]] + 1);
            if (--indegree[s] == 0) queue.push_back(s);
        }
    size_t ranks = 0;
    for (size_t r : rank) ranks = std::max(ranks, r + 1);
    std::vector<std::vector<size_t>> byRank(ranks);
    for (size_t i = 0; i < nodes.size(); ++i) byRank[rank[i]].push_back(i);
    const bool tb = options.direction == LayoutDirection::TopToBottom;
    auto across = [&](size_t i) { return tb ? nodes[i].width : nodes[i].height; };
    auto along = [&](size_t i) { return tb ? nodes[i].height : nodes[i].width; };
    // Rank by rank, each node goes under the mean of its predecessors (a chain stays one straight
    // column, a branch fans out below its source); nodes of a rank keep that order and their gaps.
    std::vector<double> pos(nodes.size(), 0);
    LayoutResult result;
    result.centers.resize(nodes.size());
    double start = 0;
    for (size_t r = 0; r < ranks; ++r) {
        std::vector<size_t>& row = byRank[r];
        std::vector<double> want(row.size());
        for (size_t k = 0; k < row.size(); ++k) {
            const auto& p = pred[row[k]];
            double sum = 0;
            size_t count = 0;
            for (size_t q : p)
                if (rank[q] < r) sum += pos[q], ++count;
            want[k] =
                count ? sum / static_cast<double>(count) : static_cast<double>(k) * (across(row[k]) + options.nodeGap);
        }
        std::vector<size_t> order(row.size());
        for (size_t k = 0; k < order.size(); ++k) order[k] = k;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return want[a] < want[b]; });
        // Left to right at the wanted places, pushed apart where they would overlap, then the row
        // is centred on where its nodes wanted to be.
        double cursor = -1e300, shift = 0, extent = 0;
        std::vector<double> placed(row.size());
        for (size_t k : order) {
            const size_t i = row[k];
            const double half = across(i) / 2;
            placed[k] = std::max(want[k], cursor + half);
            cursor = placed[k] + half + options.nodeGap;
            shift += placed[k] - want[k];
            extent = std::max(extent, along(i));
        }
        shift /= static_cast<double>(std::max<size_t>(row.size(), 1));
        for (size_t k = 0; k < row.size(); ++k) {
            const size_t i = row[k];
            pos[i] = placed[k] - shift;
            const double c = start + extent / 2;
            result.centers[i] = tb ? Point{pos[i], c} : Point{c, pos[i]};
        }
        start += extent + options.rankGap;
    }
    return result;
}

LayoutResult layoutDocument(Document& doc, const LayoutOptions& options, double width, double height) {
    std::vector<LayoutNode> nodes;
    for (const auto& n : doc.graph.nodes) nodes.push_back({n.id, width, height});
    std::vector<LayoutEdge> edges;
    for (const auto& e : doc.graph.edges) edges.push_back({e.from, e.to});
    LayoutResult r = layoutGraph(nodes, edges, options);
    for (size_t i = 0; i < doc.graph.nodes.size(); ++i) doc.graph.nodes[i].pos = r.centers[i];
    return r;
}

LayoutDirection flowDirection(const Graph& graph) {
    NameIndex at(graph.nodes.size());  // hashed: this runs on every edit
    for (size_t i = 0; i < graph.nodes.size(); ++i)
        if (graph.nodes[i].pos) at.insert(graph.nodes[i].id, static_cast<int>(i));
    double across = 0, down = 0;
    for (const Edge& e : graph.edges) {
        const int a = at.find(e.from), b = at.find(e.to);
        if (a < 0 || b < 0) continue;
        const Point& p = *graph.nodes[static_cast<size_t>(a)].pos;
        const Point& q = *graph.nodes[static_cast<size_t>(b)].pos;
        across += std::abs(q.x - p.x);
        down += std::abs(q.y - p.y);
    }
    return across > 1.5 * down ? LayoutDirection::LeftToRight : LayoutDirection::TopToBottom;
}

}  // namespace nw
