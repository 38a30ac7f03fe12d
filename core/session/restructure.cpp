#include "restructure.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "expr.h"
#include "layout.h"
#include "registry.h"

namespace nw {

namespace {

using Port = std::pair<std::string, std::string>;  // node, port

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// A value as written, with a formula ("=planes * 4") evaluated in `env`.
std::optional<AttrValue> evaluated(const AttrValue& raw, const Env& env, std::string& error) {
    const auto* s = std::get_if<std::string>(&raw);
    if (!s || s->empty() || (*s)[0] != '=') return raw;
    ExprResult r = evaluate(s->substr(1), env);
    if (!r.ok) error = "formula \"" + *s + "\": " + r.error;
    return r.ok ? std::optional<AttrValue>(r.value) : std::nullopt;
}

std::optional<RawAttrs> evaluatedAll(const RawAttrs& raw, const Env& env, std::string& error) {
    RawAttrs out;
    for (const auto& [k, v] : raw) {
        auto value = evaluated(v, env, error);
        if (!value) return std::nullopt;
        out[k] = *value;
    }
    return out;
}

// Modules `kinds` refer to, with the modules those use, in document order.
std::vector<const ModuleDef*> modulesUsed(const Document& doc, std::vector<std::string> kinds) {
    std::set<std::string> seen;
    while (!kinds.empty()) {
        std::string k = kinds.back();
        kinds.pop_back();
        const ModuleDef* m = doc.findModule(k);
        if (!m || !seen.insert(k).second) continue;
        for (const Node& n : m->body.nodes) kinds.push_back(n.kind);
    }
    std::vector<const ModuleDef*> out;
    for (const ModuleDef& m : doc.modules)
        if (seen.count(m.name)) out.push_back(&m);
    return out;
}

bool nameTaken(const Document& doc, const std::string& name) {
    return doc.findModule(name) || Registry::instance().find(name);
}

}  // namespace

Document moduleView(const Document& doc, const std::string& name) {
    Document view = doc;
    if (const ModuleDef* m = doc.findModule(name)) view.graph = m->body;
    return view;
}

Document fromModuleView(const Document& doc, const std::string& name, const Document& view) {
    Document out = doc;
    out.modules = view.modules;
    for (ModuleDef& m : out.modules)
        if (m.name == name) m.body = view.graph;
    return out;
}

// Names a formula ("=planes * 4", "stride != 1") refers to.
std::set<std::string> namesIn(const std::string& formula) {
    std::set<std::string> names;
    for (size_t i = 0; i < formula.size();) {
        const auto c = static_cast<unsigned char>(formula[i]);
        if (std::isalpha(c) || c == '_') {
            size_t j = i;
            while (j < formula.size() && (std::isalnum(static_cast<unsigned char>(formula[j])) || formula[j] == '_'))
                ++j;
            names.insert(formula.substr(i, j - i));
            i = j;
        } else if (c == '"') {  // a string literal: skip it
            i = formula.find('"', i + 1);
            i = i == std::string::npos ? formula.size() : i + 1;
        } else {
            ++i;
        }
    }
    return names;
}

Restructured groupIntoModule(const Document& doc, const std::vector<std::string>& ids, const std::string& name,
                             const ModuleDef* enclosing) {
    Restructured r;
    if (ids.empty()) return {{}, "select the nodes to group first", {}};
    if (name.empty() || name.find_first_of(" \t\n.\"") != std::string::npos)
        return {{}, "module name '" + name + "' must be one word without dots", {}};
    if (nameTaken(doc, name)) return {{}, "'" + name + "' is already a module or layer kind", {}};
    Point centre;
    for (const std::string& id : ids) {
        const Node* n = doc.graph.find(id);
        if (!n) return {{}, "no node '" + id + "'", {}};
        if (const LayerKind* k = Registry::instance().find(n->kind); k && (k->inputs.empty() || k->outputs.empty()))
            return {{}, id + " (" + n->kind + ") is the network's input or output and cannot go into a module", {}};
        centre.x += n->pos.value_or(Point{}).x / static_cast<double>(ids.size());
        centre.y += n->pos.value_or(Point{}).y / static_cast<double>(ids.size());
    }
    // A path that leaves the selection and comes back would put the instance in a cycle.
    std::vector<std::string> stack;
    for (const Edge& e : doc.graph.edges)
        if (contains(ids, e.from) && !contains(ids, e.to)) stack.push_back(e.to);
    std::set<std::string> seen;
    while (!stack.empty()) {
        std::string cur = stack.back();
        stack.pop_back();
        if (!seen.insert(cur).second) continue;
        for (const Edge& e : doc.graph.edges) {
            if (e.from != cur) continue;
            if (contains(ids, e.to))
                return {{}, cur + " lies on a path between selected nodes; select it too, or fewer nodes", {}};
            stack.push_back(e.to);
        }
    }

    ModuleDef mod{.name = name, .doc = "Grouped from " + std::to_string(ids.size()) + " nodes"};
    Document out = doc;
    Node instance{.id = freshId(doc,
                                [&] {
                                    std::string base = name;
                                    for (char& c : base)
                                        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                                    return base;
                                }()),
                  .kind = name,
                  .pos = centre};
    std::vector<Port> inputs, outputs;  // distinct sources entering, and selected ports leaving
    auto numbered = [](const char* base, size_t i) { return std::string(base) + (i ? std::to_string(i + 1) : ""); };
    std::vector<Edge> outer;
    for (const Edge& e : doc.graph.edges) {
        const bool fromIn = contains(ids, e.from), toIn = contains(ids, e.to);
        if (fromIn && toIn) mod.body.edges.push_back(e);
        else if (toIn) {
            Port src{e.from, e.fromPort};
            auto it = std::find(inputs.begin(), inputs.end(), src);
            if (it == inputs.end()) {
                inputs.push_back(src);
                mod.inputs.push_back(numbered("in", inputs.size() - 1));
                outer.push_back(
                    {.from = e.from, .fromPort = e.fromPort, .to = instance.id, .toPort = mod.inputs.back()});
            }
            const std::string& port =
                mod.inputs[static_cast<size_t>(std::find(inputs.begin(), inputs.end(), src) - inputs.begin())];
            mod.body.edges.push_back({.from = port, .to = e.to, .toPort = e.toPort});
        } else if (fromIn) {
            Port src{e.from, e.fromPort};
            auto it = std::find(outputs.begin(), outputs.end(), src);
            if (it == outputs.end()) {
                outputs.push_back(src);
                mod.outputs.push_back({numbered("out", outputs.size() - 1), e.from, e.fromPort});
                it = outputs.end() - 1;
            }
            outer.push_back({.from = instance.id,
                             .fromPort = mod.outputs[static_cast<size_t>(it - outputs.begin())].name,
                             .to = e.to,
                             .toPort = e.toPort});
        } else {
            outer.push_back(e);
        }
    }
    if (mod.outputs.empty()) {  // nothing reads the selection yet: its last node is the output
        mod.outputs.push_back({"out", ids.back(), ""});
    }
    size_t at = out.graph.nodes.size();
    std::vector<Node> kept;
    for (size_t i = 0; i < doc.graph.nodes.size(); ++i) {
        const Node& n = doc.graph.nodes[i];
        if (!contains(ids, n.id)) {
            kept.push_back(n);
            continue;
        }
        at = std::min(at, kept.size());
        Node inner = n;
        if (inner.pos) inner.pos = Point{inner.pos->x - centre.x, inner.pos->y - centre.y};
        mod.body.nodes.push_back(std::move(inner));
    }
    // Parameters of the enclosing module that the grouped formulas use are passed through.
    if (enclosing) {
        std::set<std::string> used;
        auto scan = [&](const AttrValue& v) {
            if (const auto* s = std::get_if<std::string>(&v); s && !s->empty() && (*s)[0] == '=')
                for (const std::string& n : namesIn(s->substr(1))) used.insert(n);
        };
        for (const Node& n : mod.body.nodes) {
            for (const auto& [k, v] : n.attrs) scan(v);
            for (const auto& [k, v] : n.repeatAttrs) scan(v);
            for (const std::string& w : namesIn(n.when)) used.insert(w);
        }
        for (const auto& [param, def] : enclosing->params)
            if (used.count(param)) {
                mod.params.push_back({param, def});
                instance.attrs[param] = "=" + param;
            }
    }
    kept.insert(kept.begin() + static_cast<std::ptrdiff_t>(std::min(at, kept.size())), instance);
    out.graph.nodes = std::move(kept);
    out.graph.edges = std::move(outer);
    out.modules.push_back(std::move(mod));
    r.nodes = {instance.id};
    r.doc = std::move(out);
    return r;
}

Restructured splitRepeat(const Document& doc, const std::string& id) {
    const Node* inst = doc.graph.find(id);
    if (!inst || inst->repeat < 1) return {{}, "'" + id + "' is not a repeated instance", {}};
    const int64_t copies = inst->repeat;
    Document out = doc;
    std::vector<std::string> ids;
    for (int64_t r = 0; r < copies; ++r) ids.push_back(id + "." + std::to_string(r));  // the flattener's names
    for (const std::string& name : ids)
        if (doc.graph.find(name)) return {{}, "cannot split '" + id + "': a node '" + name + "' exists already", {}};
    // Copies stacked where the instance was; what was below it moves down to make room.
    constexpr double kStep = 110;
    const Point at = inst->pos.value_or(Point{});
    for (Node& n : out.graph.nodes)
        if (n.id != id && n.pos && n.pos->y > at.y) n.pos->y += kStep * static_cast<double>(copies - 1);
    std::vector<Node> made;
    for (int64_t r = 0; r < copies; ++r) {
        Node copy = *inst;
        copy.id = ids[static_cast<size_t>(r)];
        copy.repeat = 0;
        copy.repeatAttrs.clear();
        if (r > 0)
            for (const auto& [k, v] : inst->repeatAttrs) copy.attrs[k] = v;  // copies 1 … N-1
        copy.pos = Point{at.x, at.y + kStep * static_cast<double>(r)};
        made.push_back(std::move(copy));
    }
    std::vector<Edge> edges;
    for (const Edge& e : out.graph.edges) {
        Edge moved = e;
        if (e.to == id) moved.to = ids.front();
        if (e.from == id) moved.from = ids.back();
        edges.push_back(moved);
    }
    for (size_t r = 1; r < ids.size(); ++r) edges.push_back({.from = ids[r - 1], .to = ids[r]});
    out.graph.edges = std::move(edges);
    auto it = std::find_if(out.graph.nodes.begin(), out.graph.nodes.end(), [&](const Node& n) { return n.id == id; });
    it = out.graph.nodes.erase(it);
    out.graph.nodes.insert(it, made.begin(), made.end());
    return {std::move(out), {}, ids};
}

Restructured expandInstance(const Document& doc, const std::string& id) {
    const Node* inst = doc.graph.find(id);
    if (!inst) return {{}, "no node '" + id + "'", {}};
    const ModuleDef* mod = doc.findModule(inst->kind);
    if (!mod) return {{}, id + " is a " + inst->kind + " layer, not a module instance", {}};
    if (inst->repeat > 0) return splitRepeat(doc, id);
    std::string error;
    Env env;
    for (const auto& [p, def] : mod->params) env[p] = def;
    for (const auto& [k, v] : inst->attrs) {
        auto value = evaluated(v, Env{}, error);
        if (!value) return {{}, id + ": " + error, {}};
        env[k] = *value;
    }
    const std::string prefix = id + ".";
    std::set<std::string> bypassed;
    std::vector<Node> body;
    for (const Node& n : mod->body.nodes) {
        if (!n.when.empty()) {
            ExprResult c = evaluate(n.when, env);
            const auto* b = std::get_if<bool>(&c.value);
            if (!c.ok || !b)
                return {{},
                        prefix + n.id + ": condition \"" + n.when + "\" " + (c.ok ? "is not true or false" : c.error),
                        {}};
            if (!*b) {
                bypassed.insert(n.id);
                continue;
            }
        }
        Node copy = n;
        copy.id = prefix + n.id;
        copy.when.clear();
        auto attrs = evaluatedAll(n.attrs, env, error);
        auto later = evaluatedAll(n.repeatAttrs, env, error);
        if (!attrs || !later) return {{}, copy.id + ": " + error, {}};
        copy.attrs = std::move(*attrs);
        copy.repeatAttrs = std::move(*later);
        body.push_back(std::move(copy));
    }
    // Where a body endpoint's data comes from, outside the module or through bypassed nodes.
    auto source = [&](auto&& self, const std::string& node, const std::string& port, int depth) -> std::optional<Port> {
        if (depth > 1000) return std::nullopt;
        if (contains(mod->inputs, node)) {
            for (const Edge& e : doc.graph.edges)
                if (e.to == id && (e.toPort == node || (e.toPort.empty() && node == mod->inputs.front())))
                    return Port{e.from, e.fromPort};
            return std::nullopt;  // the instance's input is not wired
        }
        if (bypassed.count(node)) {
            for (const Edge& e : mod->body.edges)
                if (e.to == node) return self(self, e.from, e.fromPort, depth + 1);
            return std::nullopt;
        }
        return Port{prefix + node, port};
    };
    Document out = doc;
    std::vector<Edge> edges;
    for (const Edge& e : doc.graph.edges) {
        if (e.to == id) continue;  // replaced by the body's edges from the module inputs
        if (e.from != id) {
            edges.push_back(e);
            continue;
        }
        const ModuleOutput* o = &mod->outputs.front();
        for (const ModuleOutput& m : mod->outputs)
            if (m.name == e.fromPort) o = &m;
        if (auto src = source(source, o->node, o->port, 0))
            edges.push_back({.from = src->first, .fromPort = src->second, .to = e.to, .toPort = e.toPort});
    }
    std::vector<Edge> inner;
    for (const Edge& e : mod->body.edges) {
        if (bypassed.count(e.to)) continue;
        if (auto src = source(source, e.from, e.fromPort, 0))
            inner.push_back({.from = src->first, .fromPort = src->second, .to = prefix + e.to, .toPort = e.toPort});
    }
    // Lay the body out on its own, then place it where the instance was and push what lies below down.
    Document part;
    part.graph.nodes = body;
    for (const Edge& e : inner)
        if (part.graph.find(e.from)) part.graph.edges.push_back(e);
    layoutDocument(part, {}, 180, 70);  // the designer's node size
    double top = 1e300, bottom = -1e300, left = 1e300, right = -1e300;
    for (const Node& n : part.graph.nodes) {
        top = std::min(top, n.pos->y), bottom = std::max(bottom, n.pos->y);
        left = std::min(left, n.pos->x), right = std::max(right, n.pos->x);
    }
    const Point at = inst->pos.value_or(Point{});
    const double grow = body.empty() ? 0 : bottom - top;
    for (Node& n : out.graph.nodes)
        if (n.pos && n.id != id && n.pos->y > at.y + 1) n.pos->y += grow;
    for (size_t i = 0; i < body.size(); ++i)
        body[i].pos =
            Point{part.graph.nodes[i].pos->x - (left + right) / 2 + at.x, part.graph.nodes[i].pos->y - top + at.y};
    auto pos = std::find_if(out.graph.nodes.begin(), out.graph.nodes.end(), [&](const Node& n) { return n.id == id; });
    pos = out.graph.nodes.erase(pos);
    out.graph.nodes.insert(pos, body.begin(), body.end());
    edges.insert(edges.end(), inner.begin(), inner.end());
    out.graph.edges = std::move(edges);
    Restructured r;
    for (const Node& n : body) r.nodes.push_back(n.id);
    r.doc = std::move(out);
    return r;
}

Restructured setRepeat(const Document& doc, const std::string& id, int64_t copies) {
    const Node* n = doc.graph.find(id);
    if (!n) return {{}, "no node '" + id + "'", {}};
    if (!doc.findModule(n->kind))
        return {{}, id + " is a layer; only module instances repeat (group it into a module first)", {}};
    if (copies < 1 || copies > 1000) return {{}, "repeat " + std::to_string(copies) + " is outside 1…1000", {}};
    Document out = doc;
    out.graph.find(id)->repeat = copies == 1 ? 0 : copies;
    return {std::move(out), {}, {id}};
}

Document copyNodes(const Document& doc, const std::vector<std::string>& ids) {
    Document clip;
    clip.name = "clipboard";
    std::vector<std::string> kinds;
    for (const Node& n : doc.graph.nodes)
        if (contains(ids, n.id)) {
            clip.graph.nodes.push_back(n);
            kinds.push_back(n.kind);
        }
    for (const Edge& e : doc.graph.edges)
        if (contains(ids, e.from) && contains(ids, e.to)) clip.graph.edges.push_back(e);
    for (const ModuleDef* m : modulesUsed(doc, kinds)) clip.modules.push_back(*m);
    return clip;
}

Restructured pasteNodes(const Document& doc, const Document& clip, Point offset) {
    if (clip.graph.nodes.empty()) return {{}, "the clipboard holds no nodes", {}};
    Document out = doc;
    std::map<std::string, std::string> moduleNames;  // clip name → name in `out`
    for (const ModuleDef& m : clip.modules) {
        const ModuleDef* existing = out.findModule(m.name);
        if (existing && *existing == m) continue;
        ModuleDef copy = m;
        if (existing || Registry::instance().find(m.name)) {
            for (int i = 2; nameTaken(out, copy.name = m.name + std::to_string(i));) ++i;
            moduleNames[m.name] = copy.name;
        }
        out.modules.push_back(std::move(copy));
    }
    auto renamedKind = [&](const std::string& kind) {
        auto it = moduleNames.find(kind);
        return it == moduleNames.end() ? kind : it->second;
    };
    for (ModuleDef& m : out.modules)  // pasted modules that use renamed ones
        for (Node& n : m.body.nodes) n.kind = renamedKind(n.kind);
    std::map<std::string, std::string> ids;
    Restructured r;
    for (const Node& n : clip.graph.nodes) {
        Node copy = n;
        copy.id = freshId(out, n.id);
        copy.kind = renamedKind(n.kind);
        // Kept within the canvas a file may hold (±10⁹), so what is pasted can be saved and opened again.
        const Point p = n.pos.value_or(Point{});
        auto onCanvas = [](double v) { return std::clamp(v, -1e9, 1e9); };
        copy.pos = Point{onCanvas(p.x + offset.x), onCanvas(p.y + offset.y)};
        ids[n.id] = copy.id;
        r.nodes.push_back(copy.id);
        out.graph.nodes.push_back(std::move(copy));
    }
    for (const Edge& e : clip.graph.edges) {
        auto from = ids.find(e.from), to = ids.find(e.to);
        if (from != ids.end() && to != ids.end())
            out.graph.edges.push_back(
                {.from = from->second, .fromPort = e.fromPort, .to = to->second, .toPort = e.toPort});
    }
    r.doc = std::move(out);
    return r;
}

}  // namespace nw
