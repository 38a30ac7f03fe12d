#include "analysis.h"

#include <algorithm>
#include <limits>

namespace nw {

Counts& Counts::operator+=(const Counts& o) {
    params = saturatingAdd(params, o.params);
    trainable = saturatingAdd(trainable, o.trainable);
    non_trainable = saturatingAdd(non_trainable, o.non_trainable);
    weights = saturatingAdd(weights, o.weights);
    macs = saturatingAdd(macs, o.macs);
    activation_bytes = saturatingAdd(activation_bytes, o.activation_bytes);
    return *this;
}

size_t Analysis::errorCount() const {
    return static_cast<size_t>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                             [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

const Shape* firstInputShape(const FlatGraph& graph, const Analysis& analysis, size_t idx) {
    const FlatNode& node = graph.nodes[idx];
    if (node.inputs.empty() || node.inputs[0].node < 0) return nullptr;
    const PortRef& in = node.inputs[0];
    const auto& outputs = analysis.nodes[static_cast<size_t>(in.node)].outputs;
    return static_cast<size_t>(in.port) < outputs.size() ? &outputs[static_cast<size_t>(in.port)] : nullptr;
}

std::unique_ptr<KernelParams> parseNodeParams(const FlatGraph& graph, const Analysis& analysis, size_t idx) {
    const Shape* in = firstInputShape(graph, analysis, idx);
    return in ? graph.nodes[idx].kind->parseParams(graph.nodes[idx].view(), *in) : nullptr;
}

namespace {

// Kahn's algorithm; nodes left over sit on or behind a cycle. Reports each cycle once, by name.
std::vector<int> topologicalOrder(const FlatGraph& g, std::vector<Diagnostic>& diags) {
    const size_t n = g.nodes.size();
    std::vector<int> indegree(n, 0);
    std::vector<std::vector<int>> consumers(n);
    for (size_t i = 0; i < n; ++i)
        for (const PortRef& in : g.nodes[i].inputs)
            if (in.node >= 0) {
                ++indegree[i];
                consumers[static_cast<size_t>(in.node)].push_back(static_cast<int>(i));
            }
    std::vector<int> order;
    order.reserve(n);
    for (size_t i = 0; i < n; ++i)
        if (indegree[i] == 0) order.push_back(static_cast<int>(i));
    for (size_t head = 0; head < order.size(); ++head)
        for (int c : consumers[static_cast<size_t>(order[head])])
            if (--indegree[static_cast<size_t>(c)] == 0) order.push_back(c);
    if (order.size() == n) return order;

    // Walk backwards along unresolved inputs from each leftover node until a node repeats.
    std::vector<char> inCycleReport(n, 0);
    for (size_t start = 0; start < n; ++start) {
        if (indegree[start] == 0 || inCycleReport[start]) continue;
        std::vector<int> path;
        std::vector<int> seenAt(n, -1);
        int cur = static_cast<int>(start);
        while (seenAt[static_cast<size_t>(cur)] < 0) {
            seenAt[static_cast<size_t>(cur)] = static_cast<int>(path.size());
            path.push_back(cur);
            int next = -1;
            for (const PortRef& in : g.nodes[static_cast<size_t>(cur)].inputs)
                if (in.node >= 0 && indegree[static_cast<size_t>(in.node)] > 0) {
                    next = in.node;
                    break;
                }
            if (next < 0) break;  // cannot happen: a leftover node has a leftover input
            cur = next;
        }
        if (seenAt[static_cast<size_t>(cur)] < 0) continue;
        std::vector<int> cycle(path.begin() + seenAt[static_cast<size_t>(cur)], path.end());
        std::reverse(cycle.begin(), cycle.end());  // in data-flow order
        // Start at the node that comes first in the file, so the report reads the same every time.
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
        bool known = false;
        for (int c : cycle) known |= inCycleReport[static_cast<size_t>(c)] != 0;
        if (known) continue;
        std::string text;
        for (int c : cycle) {
            inCycleReport[static_cast<size_t>(c)] = 1;
            text += g.nodes[static_cast<size_t>(c)].name + " → ";
        }
        text += g.nodes[static_cast<size_t>(cycle.front())].name;
        diags.push_back({Severity::Error, g.nodes[static_cast<size_t>(cycle.front())].name, "",
                         "cycle: " + text + "; a network must flow one way"});
    }
    return order;
}

Field propagateField(const FlatNode& node, const std::vector<const NodeResult*>& inputs, const Shape& in0) {
    std::vector<Field> fields;
    fields.reserve(inputs.size());
    for (const NodeResult* r : inputs) fields.push_back(r->field);
    if (fields.empty()) return {};
    return node.kind->field ? node.kind->field(node.view(), in0, fields) : fields[0];
}

}  // namespace

Analysis analyze(const FlatGraph& g, const AnalyzeOptions& options) {
    Analysis a;
    a.diagnostics = g.diagnostics;
    a.nodes.resize(g.nodes.size());
    a.order = topologicalOrder(g, a.diagnostics);
    bool anyInput = false;
    const int outputNode = [&] {
        for (int i : a.order)
            if (g.nodes[static_cast<size_t>(i)].kind->role == KindRole::Output) return i;
        return -1;
    }();

    std::vector<const Shape*> inputs, factors;
    std::vector<const NodeResult*> inputResults;
    for (int idx : a.order) {
        const FlatNode& node = g.nodes[static_cast<size_t>(idx)];
        NodeResult& result = a.nodes[static_cast<size_t>(idx)];
        const LayerKind& kind = *node.kind;
        anyInput |= kind.role == KindRole::Input;

        inputs.clear(), factors.clear(), inputResults.clear();
        bool inputsKnown = true;
        for (size_t p = 0; p < node.inputs.size(); ++p) {
            const PortRef& in = node.inputs[p];
            if (in.node < 0) {
                if (in.node == PortRef::kUnconnected)
                    a.diagnostics.push_back({Severity::Error, node.name, node.inputPorts[p],
                                             "input port '" + node.inputPorts[p] + "' is not connected"});
                inputsKnown = false;
                continue;
            }
            const NodeResult& src = a.nodes[static_cast<size_t>(in.node)];
            if (!src.known || static_cast<size_t>(in.port) >= src.outputs.size()) {
                inputsKnown = false;
                continue;
            }
            inputs.push_back(&src.outputs[static_cast<size_t>(in.port)]);
            factors.push_back(&src.factors);
            inputResults.push_back(&src);
        }
        if (!inputsKnown || !node.attrsValid) continue;

        NodeAttrs attrs = node.view();
        ShapeContext ctx{attrs, node.name, node.inputPorts, inputs, a.diagnostics};
        ctx.batch = options.inputShape ? (*options.inputShape)[0] : 1;
        ctx.inputOverride = options.inputShape ? &*options.inputShape : nullptr;
        if (auto it = options.inputShapes.find(node.name);
            it != options.inputShapes.end() && kind.role == KindRole::Input) {
            ctx.inputOverride = &it->second;
            ctx.batch = it->second.empty() ? 1 : it->second[0];
        }
        ctx.inputFactors = factors;
        auto outputs = kind.infer(ctx);
        if (!outputs) continue;

        bool sane = true;
        Counts& c = result.counts;
        for (const Shape& s : *outputs) {
            for (int64_t d : s)
                if (d <= 0) {
                    a.diagnostics.push_back({Severity::Error, node.name, "",
                                             "output shape " + formatShape(s) + " has a non-positive size"});
                    sane = false;
                    break;
                }
            auto elements = checkedProduct(s);
            if (sane && (!elements || *elements > options.maxTensorElements)) {
                a.diagnostics.push_back({Severity::Error, node.name, "",
                                         "output " + formatShape(s) + " has more than " +
                                             formatInt(options.maxTensorElements) + " elements; check the sizes"});
                sane = false;
            }
            if (sane)
                c.activation_bytes = saturatingAdd(c.activation_bytes, checkedMul(*elements, 4).value_or(INT64_MAX));
        }
        if (!sane) continue;
        result.known = true;
        result.outputs = std::move(*outputs);
        // Pointwise kinds that keep the shape keep the factorisation too (Flatten → Dropout → Linear).
        if (!ctx.outputFactors.empty()) result.factors = std::move(ctx.outputFactors);
        else if (!kind.field && !inputs.empty() && !result.outputs.empty() && result.outputs[0] == *inputs[0])
            result.factors = *factors[0];

        static const Shape kNone;
        const Shape& in0 = inputs.empty() ? kNone : *inputs[0];
        result.field = propagateField(node, inputResults, in0);
        if (kind.weights && !in0.empty()) {
            result.weights = kind.weights(attrs, in0);
            bool overflow = false;
            for (const WeightSpec& w : result.weights) {
                auto n = checkedProduct(w.shape);
                if (!n) {
                    overflow = true;
                    break;
                }
                c.params = saturatingAdd(c.params, *n);
                int64_t& bucket = w.trainable() ? c.trainable : c.non_trainable;
                bucket = saturatingAdd(bucket, *n);
                if (w.role == WeightRole::Weight) c.weights = saturatingAdd(c.weights, *n);
            }
            if (overflow || c.params == INT64_MAX)
                a.diagnostics.push_back({Severity::Error, node.name, "", "parameter count overflows 64-bit integers"});
        }
        if (kind.macs && !in0.empty() && !result.outputs.empty()) {
            auto m = kind.macs(attrs, in0, result.outputs[0]);
            if (m) c.macs = *m;
            else {
                c.macs = INT64_MAX;
                a.diagnostics.push_back(
                    {Severity::Error, node.name, "", "multiply-accumulate count overflows 64-bit integers"});
            }
        }
        Counts before = a.totals;
        a.totals += c;
        if (a.totals.params == INT64_MAX && before.params != INT64_MAX)
            a.diagnostics.push_back(
                {Severity::Error, node.name, "", "total parameter count overflows 64-bit integers"});
        if (a.inputShape.empty() && kind.role == KindRole::Input && !result.outputs.empty())
            a.inputShape = result.outputs[0];
    }
    if (!anyInput && !g.nodes.empty())
        a.diagnostics.push_back({Severity::Error, "", "", "the graph has no Input node"});
    // A run returns one tensor: what feeds the first Output node. Further Output nodes are never returned.
    std::vector<std::string> outputs;
    for (int i : a.order)
        if (g.nodes[static_cast<size_t>(i)].kind->role == KindRole::Output)
            outputs.push_back(g.nodes[static_cast<size_t>(i)].name);
    for (size_t i = 1; i < outputs.size(); ++i)
        a.diagnostics.push_back({Severity::Warning, outputs[i], "",
                                 "the graph has " + std::to_string(outputs.size()) +
                                     " Output nodes; a run returns only what feeds the first, '" + outputs[0] +
                                     "', never this one"});

    // The network's output: what feeds the first Output node, else the last computed tensor.
    if (outputNode >= 0) {
        const PortRef& in = g.nodes[static_cast<size_t>(outputNode)].inputs[0];
        if (in.node >= 0 && a.nodes[static_cast<size_t>(in.node)].known)
            a.outputShape = a.nodes[static_cast<size_t>(in.node)].outputs[static_cast<size_t>(in.port)];
    } else {
        for (auto it = a.order.rbegin(); it != a.order.rend(); ++it) {
            const NodeResult& r = a.nodes[static_cast<size_t>(*it)];
            if (r.known && !r.outputs.empty()) {
                a.outputShape = r.outputs[0];
                break;
            }
        }
    }
    return a;
}

}  // namespace nw
