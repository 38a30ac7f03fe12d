#include "flatten.h"

#include <algorithm>
#include <unordered_map>

#include <optional>
#include <string_view>

#include "name_index.h"
#include "registry.h"

namespace nw {

int FlatGraph::find(const std::string& name) const {
    for (size_t i = 0; i < nodes.size(); ++i)
        if (nodes[i].name == name) return static_cast<int>(i);
    return -1;
}

int FlatGraph::firstInput() const {
    for (size_t i = 0; i < nodes.size(); ++i)
        if (nodes[i].kind->role == KindRole::Input) return static_cast<int>(i);
    return -1;
}

bool FlatGraph::computesAs(const FlatGraph& other) const {
    return std::equal(nodes.begin(), nodes.end(), other.nodes.begin(), other.nodes.end(),
                      [](const FlatNode& a, const FlatNode& b) {
                          return a.kind == b.kind && a.name == b.name && a.attrs == b.attrs && a.inputs == b.inputs &&
                                 a.attrsValid == b.attrsValid;
                      });
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

std::vector<PathStep> FlatGraph::path(int index) const {
    const FlatNode& n = nodes[static_cast<size_t>(index)];
    std::vector<PathStep> steps;
    int inner = n.instance;
    std::string module = inner >= 0 ? instances[static_cast<size_t>(inner)].module : "";
    steps.push_back({module, n.node, n.copy});
    for (int i = inner; i >= 0; i = instances[static_cast<size_t>(i)].parent) {
        const FlatInstance& in = instances[static_cast<size_t>(i)];
        steps.push_back({in.parent >= 0 ? instances[static_cast<size_t>(in.parent)].module : "", in.node, in.copy});
    }
    return {steps.rbegin(), steps.rend()};
}

std::string FlatGraph::bodyNodeIn(int index, int instance) const {
    const FlatNode& n = nodes[static_cast<size_t>(index)];
    if (n.instance == instance) return n.node;
    for (int i = n.instance; i >= 0; i = instances[static_cast<size_t>(i)].parent)
        if (instances[static_cast<size_t>(i)].parent == instance) return instances[static_cast<size_t>(i)].node;
    return {};
}

namespace {

// Endpoints of one node of a graph being expanded: where its ports landed in the work list. A layer
// node's ports are its own (no copies: most nodes are layers); module instances, bypassed and
// repeated nodes list theirs.
struct Endpoints {
    int layer = -1;  // work index of a layer node
    std::vector<std::pair<std::string, PortRef>> in, out;
    bool bypass = false;  // a disabled node: every port is its single relay
};

// The expanded nodes of one graph, by id. The index views the ids in the graph, which outlives it.
struct Expanded {
    NameIndex ids;
    std::vector<std::optional<Endpoints>> ends;  // by node index; empty where expansion failed
    const Endpoints* find(std::string_view id) const {
        int i = ids.find(id);
        return i >= 0 && ends[static_cast<size_t>(i)] ? &*ends[static_cast<size_t>(i)] : nullptr;
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
        if (doc_.graph.nodes.empty()) error("", "", "the graph is empty: add an Input node and the layers after it");
        // A module named like a layer kind would never be used: the kind wins wherever it is named.
        for (const ModuleDef& m : doc_.modules)
            if (registry_.find(m.name))
                error(m.name, "",
                      "module '" + m.name + "' has the name of a built-in layer kind, which is used wherever '" +
                          m.name + "' is named; rename the module");
        work_.reserve(doc_.graph.nodes.size());  // exact for documents without modules
        expandGraph(doc_.graph, "", env, nullptr, "");
        return compact();
    }

    // Layers are named by their paths (`layer1.0.conv1`), and so are their weights: two paths that
    // read the same (a top-level node `b.0` and node `0` of instance `b`) would share weights.
    void reportNameClashes(const FlatGraph& g) {
        std::unordered_map<std::string_view, size_t> seen;
        seen.reserve(g.nodes.size());
        for (size_t i = 0; i < g.nodes.size(); ++i) {
            auto [it, fresh] = seen.emplace(g.nodes[i].name, i);
            if (fresh) continue;
            const FlatNode& first = g.nodes[it->second];
            const FlatNode& second = g.nodes[i];
            auto from = [](const FlatNode& n) {
                return n.origin == n.name ? "top-level node '" + n.origin + "'" : "a layer of '" + n.origin + "'";
            };
            diags_.push_back({Severity::Error, second.name, "",
                              "two layers are both named '" + second.name + "' (" + from(first) + " and " +
                                  from(second) +
                                  "); layers and their weights are named by these paths, so rename one of them"});
        }
    }

private:
    const Document& doc_;
    const FlattenOptions& opt_;
    const Registry& registry_ = Registry::instance();
    std::vector<WorkNode> work_;
    std::vector<Diagnostic> diags_;
    std::vector<std::string> moduleStack_;
    std::vector<FlatInstance> instances_;
    int instance_ = -1;  // the instance being expanded
    bool aborted_ = false;

    void error(const std::string& node, const std::string& port, const std::string& msg) {
        diags_.push_back({Severity::Error, node, port, msg});
    }

    bool reserve(size_t more) {
        if (aborted_) return false;
        if (work_.size() + more > opt_.maxNodes) {
            error("", "",
                  "the graph expands to more than " + std::to_string(opt_.maxNodes) +
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

    void connect(const PortRef& dst, const PortRef& src) {
        work_[static_cast<size_t>(dst.node)].node.inputs[static_cast<size_t>(dst.port)] = src;
    }

    size_t inputCount(const Endpoints& e) const {
        return e.layer >= 0 ? work_[static_cast<size_t>(e.layer)].node.inputPorts.size() : e.in.size();
    }
    size_t outputCount(const Endpoints& e) const {
        return e.layer >= 0 ? work_[static_cast<size_t>(e.layer)].node.kind->outputs.size() : e.out.size();
    }
    std::pair<std::string_view, PortRef> input(const Endpoints& e, size_t i) const {
        if (e.layer < 0) return e.in[i];
        return {work_[static_cast<size_t>(e.layer)].node.inputPorts[i], {e.layer, static_cast<int>(i)}};
    }
    std::pair<std::string_view, PortRef> output(const Endpoints& e, size_t i) const {
        if (e.layer < 0) return e.out[i];
        return {work_[static_cast<size_t>(e.layer)].node.kind->outputs[i], {e.layer, static_cast<int>(i)}};
    }
    // The port named `port` (the first when empty; the only one of a bypassed node).
    std::optional<PortRef> findInput(const Endpoints& e, std::string_view port) const {
        for (size_t i = 0; i < inputCount(e); ++i)
            if (e.bypass || input(e, i).first == port) return input(e, i).second;
        return std::nullopt;
    }
    std::optional<PortRef> findOutput(const Endpoints& e, std::string_view port) const {
        for (size_t i = 0; i < outputCount(e); ++i)
            if (e.bypass || port.empty() || output(e, i).first == port) return output(e, i).second;
        return std::nullopt;
    }
    std::string portList(const Endpoints& e, bool inputs) const {
        std::string list;
        for (size_t i = 0; i < (inputs ? inputCount(e) : outputCount(e)); ++i)
            list += (list.empty() ? "" : ", ") + std::string(inputs ? input(e, i).first : output(e, i).first);
        return list;
    }

    // One copy of a node (a layer or a module instance) with evaluated attributes.
    std::optional<Endpoints> instantiate(const Node& n, const RawAttrs& raw, const std::string& name, const Env& env,
                                         const std::string& origin, int copy) {
        if (const LayerKind* kind = registry_.find(n.kind)) {
            if (!reserve(1)) return std::nullopt;
            WorkNode w;
            w.node.name = name;
            w.node.kind = kind;
            w.node.origin = origin;
            w.node.node = n.id;
            w.node.copy = copy;
            w.node.instance = instance_;
            w.node.attrs = resolveAttrs(*kind, raw, &env, name, diags_, w.node.attrsValid);
            if (w.node.attrsValid) w.node.inputPorts = kind->inputPorts(w.node.attrs);
            else w.node.inputPorts = kind->variadic ? std::vector<std::string>{"in0", "in1"} : kind->inputs;
            w.node.inputs.assign(w.node.inputPorts.size(), PortRef{});
            int idx = static_cast<int>(work_.size());
            work_.push_back(std::move(w));
            return Endpoints{.layer = idx};
        }
        const ModuleDef* mod = doc_.findModule(n.kind);
        if (!mod) {
            std::vector<std::string> names;
            for (const auto& k : registry_.kinds()) names.push_back(k.name);
            for (const auto& m : doc_.modules) names.push_back(m.name);
            std::string hint = closestName(n.kind, names);
            error(name, "",
                  "unknown layer kind or module '" + n.kind + "'" +
                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
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
                error(name, "",
                      "module '" + mod->name + "' has no parameter '" + attr + "'" +
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
        std::vector<std::pair<std::string_view, PortRef>> inputRelays;
        for (const auto& in : mod->inputs) {
            PortRef r{addRelay(name + "." + in, "input '" + in + "' of " + mod->name + " instance '" + name + "'"), 0};
            e.in.push_back({in, r});
            inputRelays.push_back({in, r});
        }
        moduleStack_.push_back(mod->name);
        const int outer = instance_;
        instances_.push_back({name, n.id, mod->name, copy, outer});
        instance_ = static_cast<int>(instances_.size() - 1);
        auto body = expandGraph(mod->body, name + ".", inner, &inputRelays, origin);
        instance_ = outer;
        moduleStack_.pop_back();
        for (const auto& out : mod->outputs) {
            int relay = addRelay(name + "." + out.name, "output '" + out.name + "' of '" + name + "'");
            e.out.push_back({out.name, {relay, 0}});
            const Endpoints* inner = body.find(out.node);
            std::optional<PortRef> src;
            if (inner) src = findOutput(*inner, out.port);
            if (src) connect({relay, 0}, *src);
            else if (!aborted_ && !inner && body.ids.find(out.node) < 0)
                error(name, out.name,
                      "module '" + mod->name + "' output '" + out.name + "' names no node '" + out.node + "'");
        }
        return e;
    }

    // Expands every node of `g` (with `prefix` before their ids) and wires its edges. Returns the
    // endpoints by node id.
    Expanded expandGraph(const Graph& g, const std::string& prefix, const Env& env,
                         const std::vector<std::pair<std::string_view, PortRef>>* moduleInputs,
                         const std::string& origin) {
        Expanded nodes{NameIndex(g.nodes.size()), std::vector<std::optional<Endpoints>>(g.nodes.size())};
        for (size_t index = 0; index < g.nodes.size(); ++index) {
            const Node& n = g.nodes[index];
            std::optional<Endpoints>& slot = nodes.ends[index];
            if (aborted_) return nodes;
            std::string name = prefix + n.id;
            std::string nodeOrigin = origin.empty() ? n.id : origin;
            if (n.id.empty()) {
                error(prefix, "", "a node has an empty id");
                continue;
            }
            if (nodes.ids.insert(n.id, static_cast<int>(index)) >= 0) {
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
                    slot = std::move(e);
                    continue;
                }
            }
            if (n.repeat < 0 || n.repeat > 100000) {
                error(name, "", "repeat = " + std::to_string(n.repeat) + " is outside [0, 100000]");
                continue;
            }
            if (n.repeat == 0) {
                slot = instantiate(n, n.attrs, name, env, nodeOrigin, -1);
                continue;
            }
            RawAttrs later = n.attrs;
            for (const auto& [k, v] : n.repeatAttrs) later[k] = v;
            std::optional<Endpoints> first, prev;
            for (int64_t r = 0; r < n.repeat && !aborted_; ++r) {
                auto e = instantiate(n, r == 0 ? n.attrs : later, name + "." + std::to_string(r), env, nodeOrigin,
                                     static_cast<int>(r));
                if (!e) break;
                if (inputCount(*e) != 1 || outputCount(*e) != 1) {
                    error(name, "",
                          "only nodes with one input and one output can repeat; '" + n.kind + "' has " +
                              std::to_string(inputCount(*e)) + " and " + std::to_string(outputCount(*e)));
                    prev.reset();
                    break;
                }
                if (prev) connect(input(*e, 0).second, output(*prev, 0).second);
                else first = e;
                prev = e;
            }
            if (first && prev) {
                Endpoints combined;
                combined.in = {{std::string(input(*first, 0).first), input(*first, 0).second}};
                combined.out = {{std::string(output(*prev, 0).first), output(*prev, 0).second}};
                slot = std::move(combined);
            }
        }
        std::vector<size_t> nextFree(g.nodes.size(), 0);  // default target port per node
        for (const Edge& edge : g.edges) {
            if (aborted_) break;
            std::optional<PortRef> src;
            if (const Endpoints* from = nodes.find(edge.from)) {
                src = findOutput(*from, edge.fromPort);
                if (!src) {
                    std::string ports = portList(*from, false);
                    error(prefix + edge.from, edge.fromPort,
                          "'" + edge.from + "' has no output port '" + edge.fromPort + "'" +
                              (ports.empty() ? " (it has no outputs)" : " (outputs: " + ports + ")"));
                    continue;
                }
            } else if (moduleInputs) {
                for (const auto& [in, ref] : *moduleInputs)
                    if (in == edge.from) src = ref;
            }
            if (!src) {
                if (nodes.ids.find(edge.from) < 0)
                    error(prefix + edge.to, edge.toPort, "edge from unknown node '" + edge.from + "'");
                continue;  // a node that failed to expand was already reported
            }
            const int toIndex = nodes.ids.find(edge.to);
            const Endpoints* to = nodes.find(edge.to);
            if (!to) {
                if (toIndex < 0) error(prefix + edge.from, edge.fromPort, "edge to unknown node '" + edge.to + "'");
                continue;
            }
            const Endpoints& e = *to;
            std::optional<PortRef> dst;
            std::string portName = edge.toPort;
            if (e.bypass || !portName.empty()) dst = findInput(e, portName);
            else {
                size_t& next = nextFree[static_cast<size_t>(toIndex)];
                auto taken = [&](size_t i) {
                    PortRef r = input(e, i).second;
                    return work_[static_cast<size_t>(r.node)].node.inputs[static_cast<size_t>(r.port)].node !=
                           PortRef::kUnconnected;
                };
                while (next < inputCount(e) && taken(next)) ++next;
                if (next < inputCount(e)) {
                    dst = input(e, next).second;
                    portName = input(e, next).first;
                } else {
                    error(prefix + edge.to, "",
                          "'" + edge.to + "' has no free input port for the edge from '" + edge.from + "'");
                    continue;
                }
            }
            if (!dst) {
                std::string ports = portList(e, true);
                error(prefix + edge.to, edge.toPort,
                      "'" + edge.to + "' has no input port '" + edge.toPort + "'" +
                          (ports.empty() ? " (it has no inputs)" : " (inputs: " + ports + ")"));
                continue;
            }
            PortRef& slot = work_[static_cast<size_t>(dst->node)].node.inputs[static_cast<size_t>(dst->port)];
            if (slot.node != PortRef::kUnconnected) {
                error(prefix + edge.to, portName,
                      "input port '" + portName + "' of '" + edge.to + "' is connected more than once (again from '" +
                          edge.from + "')");
                continue;
            }
            slot = *src;
        }
        return nodes;
    }

    // Drops the relays: each layer input follows relays back to the layer that feeds it.
    FlatGraph compact() {
        FlatGraph out;
        out.nodes.reserve(work_.size());
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
                        diags_.push_back(
                            {Severity::Error, work_[relay].node.name, "",
                             "bypassed nodes and module ports form a loop through " + work_[relay].relayWhat});
                        in = {PortRef::kReported, 0};
                    }
                }
                if (in.node >= 0) in.node = newIndex[static_cast<size_t>(in.node)];
            }
        }
        reportNameClashes(out);
        // A graph cut off at the expansion bound is no network: its millions of partial nodes would only
        // cost memory (a summary of them runs to gigabytes). The diagnostic says what happened.
        if (aborted_) out.nodes.clear();
        else out.instances = std::move(instances_);
        out.diagnostics = std::move(diags_);
        return out;
    }
};

}  // namespace

FlatGraph flatten(const Document& doc, const FlattenOptions& options) { return Expander(doc, options).run(); }

}  // namespace nw
