#include "edits.h"

#include "flatten.h"

#include <algorithm>
#include <set>

#include "attr.h"
#include "registry.h"

namespace nw {

void SetAttribute::set(Document& doc, const std::optional<AttrValue>& v) {
    Node* n = doc.graph.find(node_);
    if (!n) return;  // the node went away with an edit that was undone first; nothing to do
    if (v) n->attrs[attr_] = *v;
    else n->attrs.erase(attr_);
}

void SetAttribute::apply(Document& doc) {
    if (const Node* n = doc.graph.find(node_)) {
        auto it = n->attrs.find(attr_);
        before_ = it == n->attrs.end() ? std::nullopt : std::optional<AttrValue>(it->second);
    }
    set(doc, value_);
}

void SetAttribute::revert(Document& doc) { set(doc, before_); }

std::string SetAttribute::text() const {
    return "Set " + node_ + "." + attr_ + (value_ ? " = " + formatAttrValue(*value_) : " to its default");
}

void AddNode::revert(Document& doc) {
    auto& nodes = doc.graph.nodes;
    for (size_t i = nodes.size(); i-- > 0;)
        if (nodes[i].id == node_.id) {
            nodes.erase(nodes.begin() + static_cast<std::ptrdiff_t>(i));
            break;
        }
}

void RemoveNodes::apply(Document& doc) {
    nodes_.clear();
    edges_.clear();
    auto gone = [&](const std::string& id) { return std::find(ids_.begin(), ids_.end(), id) != ids_.end(); };
    auto& g = doc.graph;
    for (size_t i = 0, kept = 0; i < g.edges.size(); ++i) {
        if (gone(g.edges[i].from) || gone(g.edges[i].to)) edges_.push_back({i, g.edges[i]});
        else g.edges[kept++] = g.edges[i];
    }
    g.edges.resize(g.edges.size() - edges_.size());
    for (size_t i = 0, kept = 0; i < g.nodes.size(); ++i) {
        if (gone(g.nodes[i].id)) nodes_.push_back({i, g.nodes[i]});
        else g.nodes[kept++] = g.nodes[i];
    }
    g.nodes.resize(g.nodes.size() - nodes_.size());
}

void RemoveNodes::revert(Document& doc) {
    // Ascending former positions: each insert lands where the element was.
    for (const auto& [i, n] : nodes_)
        doc.graph.nodes.insert(doc.graph.nodes.begin() + static_cast<std::ptrdiff_t>(i), n);
    for (const auto& [i, e] : edges_)
        doc.graph.edges.insert(doc.graph.edges.begin() + static_cast<std::ptrdiff_t>(i), e);
}

std::string RemoveNodes::text() const {
    return ids_.size() == 1 ? "Delete " + ids_[0] : "Delete " + std::to_string(ids_.size()) + " nodes";
}

void AddEdge::revert(Document& doc) {
    auto& edges = doc.graph.edges;
    for (size_t i = edges.size(); i-- > 0;)
        if (edges[i] == edge_) {
            edges.erase(edges.begin() + static_cast<std::ptrdiff_t>(i));
            break;
        }
}

void RemoveEdges::apply(Document& doc) {
    removed_.clear();
    auto& edges = doc.graph.edges;
    for (size_t i = 0, kept = 0; i < edges.size(); ++i) {
        if (std::find(edges_.begin(), edges_.end(), edges[i]) != edges_.end()) removed_.push_back({i, edges[i]});
        else edges[kept++] = edges[i];
    }
    edges.resize(edges.size() - removed_.size());
}

void RemoveEdges::revert(Document& doc) {
    for (const auto& [i, e] : removed_)
        doc.graph.edges.insert(doc.graph.edges.begin() + static_cast<std::ptrdiff_t>(i), e);
}

std::string RemoveEdges::text() const {
    return edges_.size() == 1 ? "Disconnect " + edges_[0].from + " → " + edges_[0].to
                              : "Disconnect " + std::to_string(edges_.size()) + " wires";
}

void SetPositions::apply(Document& doc) {
    before_.clear();
    for (const auto& [id, p] : positions_)
        if (Node* n = doc.graph.find(id)) {
            before_.push_back({id, n->pos});
            n->pos = p;
        }
}

void SetPositions::revert(Document& doc) {
    for (const auto& [id, p] : before_)
        if (Node* n = doc.graph.find(id)) n->pos = p;
}

void ReplaceEdges::replace(Document& doc, const std::vector<Edge>& from, const std::vector<Edge>& to) {
    std::vector<bool> done(doc.graph.edges.size(), false);  // each edge replaced once, even when two read alike
    for (size_t i = 0; i < from.size(); ++i)
        for (size_t j = 0; j < doc.graph.edges.size(); ++j)
            if (!done[j] && doc.graph.edges[j] == from[i]) {
                doc.graph.edges[j] = to[i];
                done[j] = true;
                break;
            }
}

std::string whyNotConnect(const Document& doc, const std::string& from, const std::string& to) {
    const Node* a = doc.graph.find(from);
    const Node* b = doc.graph.find(to);
    if (!a || !b) return "no node '" + (a ? to : from) + "'";
    if (from == to) return "a node cannot feed itself";
    if (const LayerKind* k = Registry::instance().find(b->kind); k && k->inputs.empty())
        return to + " (" + b->kind + ") takes no input";
    if (const LayerKind* k = Registry::instance().find(a->kind); k && k->outputs.empty())
        return from + " (" + a->kind + ") has no output";
    for (const Edge& e : doc.graph.edges)
        if (e.from == from && e.to == to) return from + " already feeds " + to;
    // A path from `to` back to `from` would close a cycle.
    std::vector<std::string> stack{to};
    std::set<std::string> seen;
    while (!stack.empty()) {
        std::string cur = stack.back();
        stack.pop_back();
        if (cur == from) return "connecting " + from + " → " + to + " would make a cycle";
        if (!seen.insert(cur).second) continue;
        for (const Edge& e : doc.graph.edges)
            if (e.from == cur) stack.push_back(e.to);
    }
    return {};
}

// A layer put between input `port` of top-level layer `node` and what feeds it.
static std::unique_ptr<Edit> insertEdit(const Document& doc, const FlatGraph& flat, const FlatNode& node,
                                        const InsertFix& fix) {
    size_t port = 0;
    while (port < node.inputPorts.size() && node.inputPorts[port] != fix.port) ++port;
    if (port == node.inputPorts.size() || node.inputs[port].node < 0) return nullptr;
    const FlatNode& source = flat.nodes[static_cast<size_t>(node.inputs[port].node)];
    // The document's wire into that port: from the source's top-level node (a module instance's, if
    // the source is inside one), named for the port, else unnamed (two from one source read alike).
    const Edge* wire = nullptr;
    for (const Edge& e : doc.graph.edges)
        if (e.to == node.name && e.from == source.origin && (e.toPort == fix.port || (e.toPort.empty() && !wire)))
            wire = &e;
    if (!wire) return nullptr;
    const Node* from = doc.graph.find(wire->from);
    const Node* to = doc.graph.find(node.name);
    Node layer{.id = freshId(doc, node.name + "_" + fix.port + "_projection"), .kind = fix.kind};
    for (const auto& [attr, value] : fix.attrs) layer.attrs[attr] = value;
    if (from && to && from->pos && to->pos)  // beside the wire, not on top of the nodes it joins
        layer.pos = Point{(from->pos->x + to->pos->x) / 2 + 200, (from->pos->y + to->pos->y) / 2};
    const std::string id = layer.id;
    // The wire is replaced where it is, by the layer's, on the port it took: no other wire into the
    // node moves to another port.
    std::vector<std::unique_ptr<Edit>> steps;
    steps.push_back(std::make_unique<AddNode>(std::move(layer)));
    steps.push_back(
        std::make_unique<ReplaceEdges>(std::vector<Edge>{*wire}, std::vector<Edge>{{id, "", node.name, fix.port}}, ""));
    steps.push_back(std::make_unique<AddEdge>(Edge{wire->from, wire->fromPort, id, ""}));
    return std::make_unique<EditGroup>(std::move(steps),
                                       "Insert " + fix.kind + " " + id + " before " + node.name + "." + fix.port);
}

std::unique_ptr<Edit> fixEdit(const Document& doc, const FlatGraph& flat, const Diagnostic& d) {
    if (!d.fix && !d.insert) return nullptr;
    const int i = flat.find(d.node);
    if (i < 0) return nullptr;
    const FlatNode& node = flat.nodes[static_cast<size_t>(i)];
    if (node.origin != node.name || !doc.graph.find(node.name)) return nullptr;  // inside a module instance
    if (d.insert) return insertEdit(doc, flat, node, *d.insert);
    return std::make_unique<SetAttribute>(node.name, d.fix->attr, d.fix->value);
}

std::string freshId(const Document& doc, const std::string& base) {
    if (!doc.graph.find(base)) return base;
    for (int i = 2;; ++i)
        if (std::string id = base + std::to_string(i); !doc.graph.find(id)) return id;
}

}  // namespace nw
