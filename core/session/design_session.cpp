#include "design_session.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string_view>

#include "flatten.h"
#include "layout.h"
#include "name_index.h"
#include "registry.h"
#include "restructure.h"

namespace nw {

DesignSession::DesignSession(Document doc) { reset(std::move(doc)); }

void DesignSession::reset(Document doc) {
    doc_ = std::move(doc);
    scope_.clear();
    described_.clear();
    facts_.clear();
    routes_.clear();
    history_.clear();
    position_ = 0;
    clean_ = 0;
    derive(true);
}

void DesignSession::apply(std::unique_ptr<Edit> edit, bool wholeDocument) {
    if (!scope_.empty() && !wholeDocument) edit = std::make_unique<InModule>(scope_, std::move(edit));
    edit->apply(doc_);
    history_.resize(position_);  // what could be redone is gone
    if (clean_ > static_cast<long>(position_)) clean_ = -1;
    history_.push_back(std::move(edit));
    ++position_;
    derive(false);
}

void DesignSession::undo() {
    if (!canUndo()) return;
    history_[--position_]->revert(doc_);
    derive(false);
}

void DesignSession::redo() {
    if (!canRedo()) return;
    history_[position_++]->apply(doc_);
    derive(false);
}

std::string DesignSession::openModule(const std::string& name) {
    const ModuleDef* m = doc_.findModule(name);
    if (!m) return "'" + name + "' is not a module of this network";
    bool placed = true;
    for (const Node& n : m->body.nodes) placed &= n.pos.has_value();
    if (!placed) {
        Document view = moduleView(doc_, name);
        for (const std::string& in : m->inputs) view.graph.nodes.push_back(Node{.id = in, .kind = "Input"});
        layoutDocument(view, {}, nodeSize.x, nodeSize.y);
        for (ModuleDef& def : doc_.modules)
            if (def.name == name)
                for (size_t i = 0; i < def.body.nodes.size(); ++i) def.body.nodes[i].pos = view.graph.nodes[i].pos;
    }
    scope_ = name;
    derive(true);
    return {};
}

void DesignSession::closeModule() {
    if (scope_.empty()) return;
    scope_.clear();
    derive(true);
}

const NodeFacts* DesignSession::factsOf(const std::string& id) const {
    auto it = facts_.find(id);
    return it == facts_.end() ? nullptr : &it->second;
}

void DesignSession::derive(bool everything) {
    if (!scope_.empty() && !doc_.findModule(scope_)) scope_.clear(), everything = true;  // undone away
    const Graph before = std::move(canvas_);
    const std::vector<std::vector<Point>> routesBefore = std::move(canvasRoutes_);
    const std::vector<Diagnostic> diagnosticsBefore = std::move(analysis_.diagnostics);
    const std::string nameBefore = scoped_.name, descriptionBefore = scoped_.description;
    const FlatGraph flatBefore = std::move(flat_);
    flat_ = flatten(doc_);
    analysis_ = analyze(flat_);
    scoped_ = scope_.empty() ? Document{.name = doc_.name, .description = doc_.description} : moduleView(doc_, scope_);
    scopeInstance_ = -1;
    for (size_t i = 0; i < flat_.instances.size() && scopeInstance_ < 0; ++i)
        if (flat_.instances[i].module == scope_) scopeInstance_ = static_cast<int>(i);
    drawCanvas();
    gatherFacts();
    const LayoutDirection directionBefore = direction_;
    direction_ = flowDirection(canvas_);
    everything |= direction_ != directionBefore;  // every port moves to other sides
    if (!listener_) return;
    SessionChange change;
    change.everything = everything;
    change.network = !flat_.computesAs(flatBefore);
    if (!everything) {
        std::unordered_map<std::string_view, const Node*> old;
        old.reserve(before.nodes.size());
        for (const Node& n : before.nodes) old[n.id] = &n;
        for (const Node& n : canvas_.nodes) {
            auto it = old.find(n.id);
            if (it == old.end()) {
                change.added.push_back(n.id);
                continue;
            }
            if (!(*it->second == n) || factsChanged_.count(n.id)) change.updated.push_back(n.id);
            old.erase(it);
        }
        for (const Node& n : before.nodes)
            if (old.count(n.id)) change.removed.push_back(n.id);
        change.wires = before.edges != canvas_.edges || routesBefore != canvasRoutes_;
        auto same = [](const Diagnostic& a, const Diagnostic& b) {
            return a.severity == b.severity && a.node == b.node && a.port == b.port && a.message == b.message;
        };
        change.diagnostics = !std::equal(diagnosticsBefore.begin(), diagnosticsBefore.end(),
                                         analysis_.diagnostics.begin(), analysis_.diagnostics.end(), same);
        change.info = nameBefore != scoped_.name || descriptionBefore != scoped_.description;
    }
    if (!change.empty()) listener_(change);
}

// The canvas: the shown graph, a module's ends as nodes, each edge's ports as the flattener reads them.
void DesignSession::drawCanvas() {
    const Graph& graph = scope_.empty() ? doc_.graph : scoped_.graph;
    canvas_ = graph;
    ends_.clear();
    if (const ModuleDef* m = scope_.empty() ? nullptr : doc_.findModule(scope_)) {
        double top = 0, bottom = 0;
        for (const Node& n : graph.nodes)
            if (n.pos) top = std::min(top, n.pos->y), bottom = std::max(bottom, n.pos->y);
        for (size_t i = 0; i < m->inputs.size(); ++i) {
            canvas_.nodes.push_back(
                Node{.id = m->inputs[i], .kind = "Input", .pos = Point{200.0 * static_cast<double>(i), top - 100}});
            ends_[m->inputs[i]] = 0;
        }
        for (size_t i = 0; i < m->outputs.size(); ++i) {
            const ModuleOutput& out = m->outputs[i];
            const std::string id = kOutputPrefix + out.name;
            const Node* src = graph.find(out.node);
            const Point p =
                src && src->pos ? Point{src->pos->x + 200.0 * static_cast<double>(i), bottom + 100} : Point{};
            canvas_.nodes.push_back(Node{.id = id, .kind = "Output", .pos = p});
            canvas_.edges.push_back(Edge{.from = out.node, .fromPort = out.port, .to = id});
            ends_[id] = 1;
        }
    }
    canvasRoutes_.assign(canvas_.edges.size(), {});
    if (routes_.empty()) return;
    NameIndex at(graph.nodes.size());
    for (size_t i = 0; i < graph.nodes.size(); ++i)
        if (graph.nodes[i].pos) at.insert(graph.nodes[i].id, static_cast<int>(i));
    auto endAt = [&](const std::string& id, Point where) {
        const int i = at.find(id);
        return i >= 0 && *graph.nodes[static_cast<size_t>(i)].pos == where;
    };
    // An edge keeps its route while both its ends are where the layout put them.
    for (size_t i = 0; i < graph.edges.size(); ++i)
        if (auto r = routes_.find(routeKey(scope_, graph.edges[i])); r != routes_.end())
            if (endAt(r->second.edge.from, r->second.from) && endAt(r->second.edge.to, r->second.to))
                canvasRoutes_[i] = r->second.points;
}

std::string DesignSession::routeKey(const std::string& scope, const Edge& e) {
    return scope + '\n' + e.from + '\n' + e.fromPort + '\n' + e.to + '\n' + e.toPort;
}

void DesignSession::setRoutes(const Graph& laidOut, const std::vector<std::vector<Point>>& routes) {
    std::erase_if(routes_, [&](const auto& entry) { return entry.second.scope == scope_; });
    std::map<std::string_view, Point> at;
    for (const Node& n : laidOut.nodes)
        if (n.pos) at[n.id] = *n.pos;
    for (size_t i = 0; i < laidOut.edges.size() && i < routes.size(); ++i) {
        auto a = at.find(laidOut.edges[i].from), b = at.find(laidOut.edges[i].to);
        if (routes[i].empty() || a == at.end() || b == at.end()) continue;
        routes_.try_emplace(routeKey(scope_, laidOut.edges[i]),
                            Route{scope_, laidOut.edges[i], a->second, b->second, routes[i]});
    }
    derive(false);  // they apply where the positions are the layout's already (else after the move)
}

void DesignSession::gatherFacts() {
    const Registry& registry = Registry::instance();
    const ModuleDef* scope = scope_.empty() ? nullptr : doc_.findModule(scope_);
    Env env;  // inside a module, formulas read its parameters' defaults
    if (scope)
        for (const auto& [p, def] : scope->params) env[p] = def;
    factsChanged_.clear();
    if (describedModules_ != doc_.modules || describedScope_ != scope_) {
        described_.clear();
        facts_.clear();
        describedModules_ = doc_.modules;
        describedScope_ = scope_;
    }
    // Nodes no longer shown lose their facts.
    NameIndex shown(canvas_.nodes.size());
    for (size_t i = 0; i < canvas_.nodes.size(); ++i) shown.insert(canvas_.nodes[i].id, static_cast<int>(i));
    std::erase_if(facts_, [&](const auto& entry) { return shown.find(entry.first) < 0; });
    std::vector<NodeFacts*> factsAt(canvas_.nodes.size());  // by canvas index
    for (size_t i = 0; i < canvas_.nodes.size(); ++i) {
        const Node& n = canvas_.nodes[i];
        auto [at, fresh] = facts_.try_emplace(n.id);
        NodeFacts& f = at->second;
        factsAt[i] = &f;
        if (auto end = ends_.find(n.id); end != ends_.end()) {
            if (!fresh) continue;
            const bool input = end->second == 0;
            f.kind = input ? "module input" : "module output " + n.id.substr(std::string(kOutputPrefix).size());
            f.category = "Input/Output";
            if (const LayerKind* end = registry.find(n.kind)) f.color = kindColor(*end);
            if (input) f.outputs = {"out"};
            else f.inputs = {"in"};
            factsChanged_.insert(n.id);
            continue;
        }
        auto cached = described_.find(n.id);
        if (!fresh && cached != described_.end() && cached->second == n) continue;
        f = NodeFacts{};
        factsChanged_.insert(n.id);
        f.kind = n.kind;
        if (const LayerKind* kind = registry.find(n.kind)) {
            f.category = kind->category;
            f.color = kindColor(*kind);
            std::vector<Diagnostic> ignored;
            bool valid = true;
            const std::vector<AttrValue> values = resolveAttrs(*kind, n.attrs, &env, n.id, ignored, valid);
            f.inputs = valid            ? kind->inputPorts(values)
                       : kind->variadic ? std::vector<std::string>{"in0", "in1"}
                                        : kind->inputs;
            f.outputs = kind->outputs;
        } else if (const ModuleDef* m = doc_.findModule(n.kind)) {
            f.category = "Module";
            f.inputs = m->inputs;
            for (const ModuleOutput& out : m->outputs) f.outputs.push_back(out.name);
        } else {
            f.category = "Module";  // unknown: reported by the analysis
            f.inputs = {"in"};
            f.outputs = {"out"};
        }
        for (const auto& [name, value] : n.attrs)  // what the person wrote: the layer's key settings
            f.attrs += (f.attrs.empty() ? "" : ", ") + name + " " + formatAttrValue(value);
        described_[n.id] = n;
    }
    // Each edge's ports as the flattener assigns them: named ones first come first, unnamed edges
    // take the next free input in file order.
    std::vector<std::vector<std::string_view>> taken(canvas_.nodes.size());  // ports used, by node
    for (Edge& e : canvas_.edges) {
        const int from = shown.find(e.from), to = shown.find(e.to);
        if (e.fromPort.empty() && from >= 0 && !factsAt[static_cast<size_t>(from)]->outputs.empty())
            e.fromPort = factsAt[static_cast<size_t>(from)]->outputs[0];
        if (to < 0) continue;
        std::vector<std::string_view>& used = taken[static_cast<size_t>(to)];
        if (e.toPort.empty()) {
            for (const std::string& p : factsAt[static_cast<size_t>(to)]->inputs)
                if (std::find(used.begin(), used.end(), p) == used.end()) {
                    e.toPort = p;
                    break;
                }
        }
        used.push_back(e.toPort);
    }
    // Shapes, costs and problems: at the top level a flat layer belongs to the top-level node it
    // came from; inside a module, to the body node it came from in the module's first instance.
    // Texts are remade only where the numbers changed (formatting 500 of them is most of an edit).
    struct Measured {
        const Shape* shape = nullptr;
        Counts total;
        std::string problems;
        int errors = 0, warnings = 0;
    };
    std::vector<Measured> measured(canvas_.nodes.size());
    auto canvasIndex = [&](const std::string& id) { return id.empty() ? -1 : shown.find(id); };
    for (int idx : analysis_.order) {
        const NodeResult& r = analysis_.nodes[static_cast<size_t>(idx)];
        const int at = canvasIndex(scope_.empty() ? flat_.nodes[static_cast<size_t>(idx)].origin : shownNodeOf(idx));
        if (at < 0) continue;
        Measured& m = measured[static_cast<size_t>(at)];
        if (r.known && !r.outputs.empty()) m.shape = &r.outputs[0];
        m.total += r.counts;
    }
    for (const Diagnostic& d : analysis_.diagnostics) {
        const int at = canvasIndex(shownNodeOf(d));
        if (at < 0) continue;
        Measured& m = measured[static_cast<size_t>(at)];
        (d.severity == Severity::Error ? m.errors : m.warnings)++;
        m.problems += (m.problems.empty() ? "" : "\n") + d.message;
    }
    for (size_t i = 0; i < canvas_.nodes.size(); ++i) {
        NodeFacts& f = *factsAt[i];
        Measured& m = measured[i];
        const bool sameShape = m.shape ? f.outputShape && *f.outputShape == *m.shape : !f.outputShape;
        if (sameShape && f.totals == m.total && f.problems == m.problems && f.errors == m.errors &&
            f.warnings == m.warnings)
            continue;
        if (!sameShape) {
            f.outputShape = m.shape ? std::optional<Shape>(*m.shape) : std::nullopt;
            f.shape = m.shape ? formatShape(*m.shape) : "";
        }
        if (!(f.totals == m.total)) {
            f.totals = m.total;
            f.counts = m.total.params || m.total.macs
                           ? compactCount(m.total.params) + " params · " + compactCount(m.total.macs) + " MACs"
                           : "";
        }
        f.problems = std::move(m.problems);
        f.errors = m.errors;
        f.warnings = m.warnings;
        factsChanged_.insert(canvas_.nodes[i].id);
    }
}

std::optional<Edge> DesignSession::shownEdge(const Edge& drawn) const {
    const std::vector<Edge>& edges = shown().graph.edges;
    for (size_t i = 0; i < edges.size() && i < canvas_.edges.size(); ++i)
        if (canvas_.edges[i] == drawn) return edges[i];
    return std::nullopt;
}

std::unique_ptr<Edit> DesignSession::rewireEdit(const Edge& drawn, const std::string& to, const std::string& toPort,
                                                std::string& why) const {
    const std::optional<Edge> written = shownEdge(drawn);
    if (!written) {
        why = "that wire cannot be moved";
        return nullptr;
    }
    Edge moved = drawn;
    moved.to = to;
    moved.toPort = toPort;
    const NodeFacts* target = factsOf(to);
    if (!target) {
        why = "no node '" + to + "'";
        return nullptr;
    }
    if (moved.toPort.empty()) {  // the next free input of the node dropped on
        std::set<std::string> used;
        for (const Edge& e : canvas_.edges)
            if (e.to == to && !(e == drawn)) used.insert(e.toPort);
        for (const std::string& p : target->inputs)
            if (!used.count(p)) {
                moved.toPort = p;
                break;
            }
    }
    if (moved.to == drawn.to && moved.toPort == drawn.toPort) {
        why = "the wire is already there";
        return nullptr;
    }
    const Edge* occupant = nullptr;
    for (const Edge& e : canvas_.edges)
        if (e.to == moved.to && e.toPort == moved.toPort && !(e == drawn)) occupant = &e;
    if (occupant && moved.to != drawn.to) {
        why = "input " + moved.toPort + " of " + moved.to + " is already fed by " + occupant->from;
        return nullptr;
    }
    if (!occupant) {
        if (std::find(target->inputs.begin(), target->inputs.end(), moved.toPort) == target->inputs.end()) {
            why = moved.toPort.empty() ? "every input of " + to + " is connected"
                                       : "'" + to + "' has no input port '" + moved.toPort + "'";
            return nullptr;
        }
        if (moved.to != drawn.to)  // to another node: the rules of a new wire (a cycle, an Input)
            if (why = whyNotConnect(moved); !why.empty()) return nullptr;
    }
    // Pin every wire into the nodes involved to its drawn port, then move the two.
    std::vector<Edge> before, after;
    const std::vector<Edge>& edges = shown().graph.edges;
    for (size_t i = 0; i < edges.size() && i < canvas_.edges.size(); ++i) {
        const Edge& c = canvas_.edges[i];
        if (c.to != drawn.to && c.to != moved.to) continue;
        Edge next = edges[i];
        next.toPort = c.toPort;
        if (c == drawn) next.to = moved.to, next.toPort = moved.toPort;
        else if (occupant && c == *occupant) next.toPort = drawn.toPort;
        before.push_back(edges[i]);
        after.push_back(next);
    }
    return std::make_unique<ReplaceEdges>(std::move(before), std::move(after),
                                          occupant ? "Swap " + drawn.to + "." + drawn.toPort + " and " + moved.toPort
                                                   : "Move wire " + drawn.from + " → " + moved.to + "." + moved.toPort);
}

std::string DesignSession::shownNodeOf(int index) const {
    if (index < 0 || index >= static_cast<int>(flat_.nodes.size())) return {};
    if (scope_.empty()) return flat_.nodes[static_cast<size_t>(index)].origin;
    return scopeInstance_ < 0 ? std::string() : flat_.bodyNodeIn(index, scopeInstance_);
}

std::string DesignSession::shownNodeOf(const Diagnostic& d) const {
    const int i = flat_.find(d.node);
    return i >= 0 ? shownNodeOf(i) : d.node;
}

std::unique_ptr<Edit> DesignSession::fixFor(const Diagnostic& d) const {
    return scope_.empty() ? fixEdit(doc_, flat_, d) : nullptr;
}

std::string DesignSession::whyNotConnect(const Edge& edge) const {
    const Node* a = canvas_.find(edge.from);
    const Node* b = canvas_.find(edge.to);
    if (!a || !b) return "no node '" + (a ? edge.to : edge.from) + "'";
    if (edge.from == edge.to) return "a node cannot feed itself";
    auto end = [&](const std::string& id) {
        auto it = ends_.find(id);
        return it == ends_.end() ? -1 : it->second;
    };
    if (end(edge.to) == 1) return "a module's outputs are fixed; wire into the node that feeds it";
    if (end(edge.to) == 0) return "a module input takes no input";
    if (end(edge.from) == 1) return "a module output feeds nothing inside the module";
    const NodeFacts& from = facts_.at(edge.from);
    const NodeFacts& to = facts_.at(edge.to);
    if (to.inputs.empty()) return edge.to + " (" + b->kind + ") takes no input";
    if (from.outputs.empty()) return edge.from + " (" + a->kind + ") has no output";
    if (!edge.fromPort.empty() &&
        std::find(from.outputs.begin(), from.outputs.end(), edge.fromPort) == from.outputs.end())
        return "'" + edge.from + "' has no output port '" + edge.fromPort + "'";
    // A path from `to` back to `from` would close a cycle.
    std::vector<std::string> stack{edge.to};
    std::set<std::string> seen;
    while (!stack.empty()) {
        std::string cur = stack.back();
        stack.pop_back();
        if (cur == edge.from) return "connecting " + edge.from + " → " + edge.to + " would make a cycle";
        if (!seen.insert(cur).second) continue;
        for (const Edge& e : canvas_.edges)
            if (e.from == cur) stack.push_back(e.to);
    }
    std::set<std::string> used;
    for (const Edge& e : canvas_.edges)
        if (e.to == edge.to) {
            if (edge.toPort.empty() && e.from == edge.from) return edge.from + " already feeds " + edge.to;
            used.insert(e.toPort);
            if (e.toPort == edge.toPort)
                return "input " + edge.toPort + " of " + edge.to + " is already fed by " + e.from +
                       "; disconnect that wire first";
        }
    if (!edge.toPort.empty()) {
        if (std::find(to.inputs.begin(), to.inputs.end(), edge.toPort) == to.inputs.end()) {
            std::string list;
            for (const std::string& p : to.inputs) list += (list.empty() ? "" : ", ") + p;
            return "'" + edge.to + "' has no input port '" + edge.toPort + "' (inputs: " + list + ")";
        }
    } else if (used.size() >= to.inputs.size()) {
        const LayerKind* kind = Registry::instance().find(b->kind);
        return "every input of " + edge.to + " is connected" +
               (kind && kind->variadic ? " (raise its num_inputs for another)" : "");
    }
    return {};
}

}  // namespace nw
