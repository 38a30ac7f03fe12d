#include "flatten.h"

#include <unordered_map>

#include "registry.h"

namespace nw {

int FlatGraph::find(const std::string& name) const {
    for (size_t i = 0; i < nodes.size(); ++i)
        if (nodes[i].name == name) return static_cast<int>(i);
    return -1;
}

static std::optional<AttrValue> evalRaw(const AttrValue& raw, const Env* env, std::string& error) {
    const auto* s = std::get_if<std::string>(&raw);
    if (!s || s->empty() || (*s)[0] != '=') return raw;
    static const Env empty;
    ExprResult r = evaluate(s->substr(1), env ? *env : empty);
    if (!r.ok) {
        error = "formula \"" + *s + "\": " + r.error;
        return std::nullopt;
    }
    return r.value;
}

std::vector<AttrValue> resolveAttrs(const LayerKind& kind, const RawAttrs& raw, const Env* env, const std::string& node,
                                    std::vector<Diagnostic>& diagnostics, bool& valid) {
    std::vector<AttrValue> values;
    values.reserve(kind.attrs.size());
    for (const auto& spec : kind.attrs) values.push_back(spec.def);
    for (const auto& [name, value] : raw) {
        int idx = kind.attrIndex(name);
        if (idx < 0) {
            std::vector<std::string> names;
            for (const auto& s : kind.attrs) names.push_back(s.name);
            std::string hint = closestName(name, names);
            diagnostics.push_back({Severity::Error, node, "",
                                   kind.name + " has no attribute '" + name + "'" +
                                       (hint.empty() ? "" : " (did you mean '" + hint + "'?)")});
            valid = false;
            continue;
        }
        std::string error;
        auto evaluated = evalRaw(value, env, error);
        std::optional<AttrValue> coerced;
        if (evaluated) coerced = coerceAttr(kind.attrs[static_cast<size_t>(idx)], *evaluated, error);
        if (!coerced) {
            diagnostics.push_back({Severity::Error, node, "", error});
            valid = false;
            continue;
        }
        values[static_cast<size_t>(idx)] = std::move(*coerced);
    }
    return values;
}

namespace {

// Endpoints of one node of a graph being expanded: where its ports landed in the work list.
struct Endpoints {
    std::vector<std::pair<std::string, PortRef>> in, out;
    bool bypass = false;  // a disabled node: every port is its single relay
    const PortRef* findIn(const std::string& port) const {
        for (const auto& [n, r] : in)
            if (n == port) return &r;
        return nullptr;
    }
    const PortRef* findOut(const std::string& port) const {
        for (const auto& [n, r] : out)
            if (n == port) return &r;
        return nullptr;
    }
};

// The expansion works on a list of layer nodes and relays. Relays stand for module inputs and
// outputs and for bypassed nodes; they are followed and dropped at the end.
struct WorkNode {
    FlatNode node;
    bool relay = false;
    std::string relayWhat;  // for messages: "input 'x' of module instance 'incep1'"
};

class Expander {
public:
    Expander(const Document& doc, const FlattenOptions& opt) : doc_(doc), opt_(opt) {}

    FlatGraph run() {
        Env env;
        expandGraph(doc_.graph, "", env, nullptr, "");
        return compact();
    }

private:
    const Document& doc_;
    const FlattenOptions& opt_;
    const Registry& registry_ = Registry::instance();
    std::vector<WorkNode> work_;
    std::vector<Diagnostic> diags_;
    std::vector<std::string> moduleStack_;
    bool aborted_ = false;

    void error(const std::string& node, const std::string& port, const std::string& msg) {
        diags_.push_back({Severity::Error, node, port, msg});
    }

    bool reserve(size_t more) {
        if (aborted_) return false;
        if (work_.size() + more > opt_.maxNodes) {
            error("", "", "the graph expands to more than " + std::to_string(opt_.maxNodes) +
                              " nodes (module repeats nest too deeply?); expansion stopped");
            aborted_ = true;
            return false;
        }
        return true;
    }

    int addRelay(const std::string& name, std::string what) {
        WorkNode w;
        w.relay = true;
        w.node.name = name;
        w.node.inputs = {PortRef{}};
        w.relayWhat = std::move(what);
        work_.push_back(std::move(w));
        return static_cast<int>(work_.size() - 1);
    }

    void connect(const PortRef& dst, const PortRef& src) { work_[static_cast<size_t>(dst.node)].node.inputs[static_cast<size_t>(dst.port)] = src; }

    // One copy of a node (a layer or a module instance) with evaluated attributes.
    std::optional<Endpoints> instantiate(const Node& n, const RawAttrs& raw, const std::string& name, const Env& env,
                                         const std::string& origin) {
        if (const LayerKind* kind = registry_.find(n.kind)) {
            if (!reserve(1)) return std::nullopt;
            WorkNode w;
            w.node.name = name;
            w.node.kind = kind;
            w.node.origin = origin;
            w.node.attrs = resolveAttrs(*kind, raw, &env, name, diags_, w.node.attrsValid);
            if (w.node.attrsValid) w.node.inputPorts = kind->inputPorts(w.node.attrs);
            else w.node.inputPorts = kind->variadic ? std::vector<std::string>{"in0", "in1"} : kind->inputs;
            w.node.inputs.assign(w.node.inputPorts.size(), PortRef{});
            int idx = static_cast<int>(work_.size());
            Endpoints e;
            for (size_t i = 0; i < w.node.inputPorts.size(); ++i) e.in.push_back({w.node.inputPorts[i], {idx, static_cast<int>(i)}});
            for (size_t i = 0; i < kind->outputs.size(); ++i) e.out.push_back({kind->outputs[i], {idx, static_cast<int>(i)}});
            work_.push_back(std::move(w));
            return e;
        }
        const ModuleDef* mod = doc_.findModule(n.kind);
        if (!mod) {
            std::vector<std::string> names;
            for (const auto& k : registry_.kinds()) names.push_back(k.name);
            for (const auto& m : doc_.modules) names.push_back(m.name);
            std::string hint = closestName(n.kind, names);
            error(name, "", "unknown layer kind or module '" + n.kind + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
            return std::nullopt;
        }
        for (size_t i = 0; i < moduleStack_.size(); ++i) {
            if (moduleStack_[i] != mod->name) continue;
            std::string chain;
            for (size_t j = i; j < moduleStack_.size(); ++j) chain += moduleStack_[j] + " → ";
            error(name, "", "module '" + mod->name + "' instantiates itself: " + chain + mod->name);
            return std::nullopt;
        }
        if (static_cast<int>(moduleStack_.size()) >= opt_.maxDepth) {
            error(name, "", "modules nest deeper than " + std::to_string(opt_.maxDepth) + " levels");
            return std::nullopt;
        }
        Env inner;
        for (const auto& [p, def] : mod->params) inner[p] = def;
        bool ok = true;
        for (const auto& [attr, value] : raw) {
            auto it = inner.find(attr);
            if (it == inner.end()) {
                std::vector<std::string> names;
                for (const auto& [p, def] : mod->params) names.push_back(p);
                std::string hint = closestName(attr, names);
                error(name, "", "module '" + mod->name + "' has no parameter '" + attr + "'" +
                                    (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
                ok = false;
                continue;
            }
            std::string err;
            auto v = evalRaw(value, &env, err);
            if (!v) {
                error(name, "", err);
                ok = false;
                continue;
            }
            it->second = *v;
        }
        if (!ok || !reserve(mod->inputs.size() + mod->outputs.size())) return std::nullopt;

        Endpoints e;
        std::vector<std::pair<std::string, PortRef>> inputRelays;
        for (const auto& in : mod->inputs) {
            PortRef r{addRelay(name + "." + in, "input '" + in + "' of " + mod->name + " instance '" + name + "'"), 0};
            e.in.push_back({in, r});
            inputRelays.push_back({in, r});
        }
        moduleStack_.push_back(mod->name);
        auto body = expandGraph(mod->body, name + ".", inner, &inputRelays, origin);
        moduleStack_.pop_back();
        for (const auto& out : mod->outputs) {
            int relay = addRelay(name + "." + out.name, "output '" + out.name + "' of '" + name + "'");
            e.out.push_back({out.name, {relay, 0}});
            auto it = body.find(out.node);
            const PortRef* src = nullptr;
            if (it != body.end()) src = out.port.empty() ? (it->second.out.empty() ? nullptr : &it->second.out[0].second)
                                                          : it->second.findOut(out.port);
            if (src) connect({relay, 0}, *src);
            else if (!aborted_ && it == body.end() && !mod->body.find(out.node))
                error(name, out.name, "module '" + mod->name + "' output '" + out.name + "' names no node '" + out.node + "'");
        }
        return e;
    }

    // Expands every node of `g` (with `prefix` before their ids) and wires its edges. Returns the
    // endpoints by node id.
    std::unordered_map<std::string, Endpoints> expandGraph(const Graph& g, const std::string& prefix, const Env& env,
                                                           const std::vector<std::pair<std::string, PortRef>>* moduleInputs,
                                                           const std::string& origin) {
        std::unordered_map<std::string, Endpoints> nodes;
        for (const Node& n : g.nodes) {
            if (aborted_) return nodes;
            std::string name = prefix + n.id;
            std::string nodeOrigin = origin.empty() ? n.id : origin;
            if (n.id.empty()) {
                error(prefix, "", "a node has an empty id");
                continue;
            }
            if (nodes.count(n.id)) {
                error(name, "", "node id '" + n.id + "' is used twice");
                continue;
            }
            if (!n.when.empty()) {
                ExprResult r = evaluate(n.when, env);
                const auto* b = std::get_if<bool>(&r.value);
                if (!r.ok || !b) {
                    error(name, "", "condition \"" + n.when + "\": " + (r.ok ? "is not true or false" : r.error));
                    continue;
                }
                if (!*b) {
                    if (!reserve(1)) return nodes;
                    int relay = addRelay(name, "bypassed node '" + name + "'");
                    Endpoints e;
                    e.bypass = true;
                    e.in.push_back({"", {relay, 0}});
                    e.out.push_back({"", {relay, 0}});
                    nodes.emplace(n.id, std::move(e));
                    continue;
                }
            }
            if (n.repeat < 0 || n.repeat > 100000) {
                error(name, "", "repeat = " + std::to_string(n.repeat) + " is outside [0, 100000]");
                continue;
            }
            if (n.repeat == 0) {
                if (auto e = instantiate(n, n.attrs, name, env, nodeOrigin)) nodes.emplace(n.id, std::move(*e));
                continue;
            }
            RawAttrs later = n.attrs;
            for (const auto& [k, v] : n.repeatAttrs) later[k] = v;
            std::optional<Endpoints> first, prev;
            for (int64_t r = 0; r < n.repeat && !aborted_; ++r) {
                auto e = instantiate(n, r == 0 ? n.attrs : later, name + "." + std::to_string(r), env, nodeOrigin);
                if (!e) break;
                if (e->in.size() != 1 || e->out.size() != 1) {
                    error(name, "", "only nodes with one input and one output can repeat; '" + n.kind + "' has " +
                                        std::to_string(e->in.size()) + " and " + std::to_string(e->out.size()));
                    prev.reset();
                    break;
                }
                if (prev) connect(e->in[0].second, prev->out[0].second);
                else first = e;
                prev = e;
            }
            if (first && prev) {
                Endpoints combined;
                combined.in = first->in;
                combined.out = prev->out;
                nodes.emplace(n.id, std::move(combined));
            }
        }
        std::unordered_map<std::string, size_t> nextFree;  // default target port per node
        for (const Edge& edge : g.edges) {
            if (aborted_) break;
            const PortRef* src = nullptr;
            auto from = nodes.find(edge.from);
            if (from != nodes.end()) {
                const Endpoints& e = from->second;
                if (e.bypass) src = &e.out[0].second;
                else if (edge.fromPort.empty()) src = e.out.empty() ? nullptr : &e.out[0].second;
                else src = e.findOut(edge.fromPort);
                if (!src) {
                    std::string ports;
                    for (const auto& [p, r] : e.out) ports += (ports.empty() ? "" : ", ") + p;
                    error(prefix + edge.from, edge.fromPort,
                          "'" + edge.from + "' has no output port '" + edge.fromPort + "'" +
                              (ports.empty() ? " (it has no outputs)" : " (outputs: " + ports + ")"));
                    continue;
                }
            } else if (moduleInputs) {
                for (const auto& [in, ref] : *moduleInputs)
                    if (in == edge.from) src = &ref;
            }
            if (!src) {
                if (!g.find(edge.from)) error(prefix + edge.to, edge.toPort, "edge from unknown node '" + edge.from + "'");
                continue;  // a node that failed to expand was already reported
            }
            auto to = nodes.find(edge.to);
            if (to == nodes.end()) {
                if (!g.find(edge.to)) error(prefix + edge.from, edge.fromPort, "edge to unknown node '" + edge.to + "'");
                continue;
            }
            const Endpoints& e = to->second;
            const PortRef* dst = nullptr;
            std::string portName = edge.toPort;
            if (e.bypass) dst = &e.in[0].second;
            else if (!portName.empty()) dst = e.findIn(portName);
            else {
                size_t& next = nextFree[edge.to];
                while (next < e.in.size() && work_[static_cast<size_t>(e.in[next].second.node)]
                                                     .node.inputs[static_cast<size_t>(e.in[next].second.port)]
                                                     .node != PortRef::kUnconnected)
                    ++next;
                if (next < e.in.size()) {
                    dst = &e.in[next].second;
                    portName = e.in[next].first;
                } else {
                    error(prefix + edge.to, "", "'" + edge.to + "' has no free input port for the edge from '" + edge.from + "'");
                    continue;
                }
            }
            if (!dst) {
                std::string ports;
                for (const auto& [p, r] : e.in) ports += (ports.empty() ? "" : ", ") + p;
                error(prefix + edge.to, edge.toPort, "'" + edge.to + "' has no input port '" + edge.toPort + "'" +
                                                         (ports.empty() ? " (it has no inputs)" : " (inputs: " + ports + ")"));
                continue;
            }
            PortRef& slot = work_[static_cast<size_t>(dst->node)].node.inputs[static_cast<size_t>(dst->port)];
            if (slot.node != PortRef::kUnconnected) {
                error(prefix + edge.to, portName, "input port '" + portName + "' of '" + edge.to +
                                                      "' is connected more than once (again from '" + edge.from + "')");
                continue;
            }
            slot = *src;
        }
        return nodes;
    }

    // Drops the relays: each layer input follows relays back to the layer that feeds it.
    FlatGraph compact() {
        FlatGraph out;
        std::vector<int> newIndex(work_.size(), -1);
        for (size_t i = 0; i < work_.size(); ++i)
            if (!work_[i].relay) {
                newIndex[i] = static_cast<int>(out.nodes.size());
                out.nodes.push_back(std::move(work_[i].node));
            }
        std::vector<char> reported(work_.size(), 0);
        for (auto& node : out.nodes) {
            for (auto& in : node.inputs) {
                size_t steps = 0;
                while (in.node >= 0 && work_[static_cast<size_t>(in.node)].relay) {
                    size_t relay = static_cast<size_t>(in.node);
                    in = work_[relay].node.inputs[0];
                    if (in.node == PortRef::kUnconnected) {
                        if (!reported[relay]) {
                            reported[relay] = 1;
                            diags_.push_back({Severity::Error, work_[relay].node.name, "",
                                              work_[relay].relayWhat + " is not connected"});
                        }
                        in.node = PortRef::kReported;
                    }
                    if (++steps > work_.size()) {
                        diags_.push_back({Severity::Error, work_[relay].node.name, "",
                                          "bypassed nodes and module ports form a loop through " + work_[relay].relayWhat});
                        in = {PortRef::kReported, 0};
                    }
                }
                if (in.node >= 0) in.node = newIndex[static_cast<size_t>(in.node)];
            }
        }
        out.diagnostics = std::move(diags_);
        return out;
    }
};

}  // namespace

FlatGraph flatten(const Document& doc, const FlattenOptions& options) { return Expander(doc, options).run(); }

}  // namespace nw
