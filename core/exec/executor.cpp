#include "executor.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <functional>
#include <deque>
#include <map>
#include <random>

#include "buffer_pool.h"
#include "files.h"
#include "rewrites.h"

namespace nw {

namespace {

// When each node's output is needed: run-order positions, last readers, reader counts, and the
// node whose output is the network's (what feeds the first Output node, else the last node run).
struct Lifetimes {
    std::vector<size_t> position, lastUse;
    std::vector<int> consumers;
    int outputSource = -1;
};

Lifetimes lifetimes(const FlatGraph& graph, const Analysis& analysis) {
    const size_t n = graph.nodes.size();
    const auto& order = analysis.order;
    Lifetimes l{std::vector<size_t>(n, 0), std::vector<size_t>(n, 0), std::vector<int>(n, 0), -1};
    for (size_t p = 0; p < order.size(); ++p) l.position[static_cast<size_t>(order[p])] = p;
    for (int idx : order)
        for (const PortRef& in : graph.nodes[static_cast<size_t>(idx)].inputs) {
            auto src = static_cast<size_t>(in.node);
            l.lastUse[src] = std::max(l.lastUse[src], l.position[static_cast<size_t>(idx)]);
            ++l.consumers[src];
        }
    l.outputSource = networkOutput(graph, analysis);
    return l;
}

// Floats of scratch a node's kernel asks for (LayerKind::workspace).
int64_t nodeWorkspace(const FlatGraph& graph, const Analysis& analysis, size_t idx) {
    const FlatNode& node = graph.nodes[idx];
    const Shape* in = firstInputShape(graph, analysis, idx);
    if (!node.kind->workspace || !in || analysis.nodes[idx].outputs.empty()) return 0;
    return node.kind->workspace(node.view(), *in, analysis.nodes[idx].outputs[0]);
}

// The largest sum of live activations (plus the running node's scratch) over the run order.
int64_t activationPeak(const FlatGraph& graph, const Analysis& analysis, const Lifetimes& life,
                       const std::vector<char>& keep, const std::vector<int64_t>& workspaceFloats) {
    int64_t live = 0, peak = 0;
    std::vector<int64_t> bytes(graph.nodes.size(), 0);
    const auto& order = analysis.order;
    for (size_t p = 0; p < order.size(); ++p) {
        auto idx = static_cast<size_t>(order[p]);
        for (const Shape& s : analysis.nodes[idx].outputs)
            bytes[idx] = saturatingAdd(bytes[idx], saturatingMul(checkedProduct(s).value_or(INT64_MAX), 4));
        live = saturatingAdd(live, bytes[idx]);
        peak = std::max(peak, saturatingAdd(live, saturatingMul(4, workspaceFloats[idx])));
        for (const PortRef& in : graph.nodes[idx].inputs) {
            auto src = static_cast<size_t>(in.node);
            if (life.lastUse[src] == p && !keep[src]) live -= bytes[src];
        }
    }
    return peak;
}

}  // namespace

int networkOutput(const FlatGraph& graph, const Analysis& analysis) {
    for (int idx : analysis.order) {
        const FlatNode& node = graph.nodes[static_cast<size_t>(idx)];
        if (node.kind->role == KindRole::Output && !node.inputs.empty()) return node.inputs[0].node;
    }
    return analysis.order.empty() ? -1 : analysis.order.back();
}

// The weights and their packed copies: what a plan holds whatever runs through it.
static MemoryNeeds storedBytes(const FlatGraph& graph, const Analysis& analysis) {
    MemoryNeeds needs;
    needs.weights = weightBytes(analysis);
    for (size_t i = 0; i < graph.nodes.size(); ++i)
        if (graph.nodes[i].kind->prepare)
            for (const WeightSpec& spec : analysis.nodes[i].weights)
                if (spec.role == WeightRole::Weight)
                    needs.packed =
                        saturatingAdd(needs.packed, saturatingMul(checkedProduct(spec.shape).value_or(INT64_MAX), 8));
    return needs;
}

MemoryNeeds memoryNeeds(const FlatGraph& graph, const Analysis& analysis, const std::vector<std::string>& keep) {
    MemoryNeeds needs = storedBytes(graph, analysis);
    if (analysis.errorCount() > 0) return needs;  // shapes may be missing
    const Lifetimes life = lifetimes(graph, analysis);
    std::vector<char> kept(graph.nodes.size(), 0);
    for (const auto& name : keep)
        if (int i = graph.find(name); i >= 0) kept[static_cast<size_t>(i)] = 1;
    if (life.outputSource >= 0) kept[static_cast<size_t>(life.outputSource)] = 1;
    std::vector<int64_t> workspace(graph.nodes.size(), 0);
    for (int idx : analysis.order)
        workspace[static_cast<size_t>(idx)] = nodeWorkspace(graph, analysis, static_cast<size_t>(idx));
    needs.activations = activationPeak(graph, analysis, life, kept, workspace);
    return needs;
}

std::string checkMemory(const MemoryNeeds& needs, int64_t budget) {
    if (needs.total() <= budget) return {};
    auto both = [](int64_t bytes) { return formatInt(bytes) + " bytes (" + formatBytes(bytes) + ")"; };
    return "running needs " + both(needs.total()) + " — weights " + formatBytes(needs.weights) +
           ", packed weights up to " + formatBytes(needs.packed) + ", activations and scratch " +
           formatBytes(needs.activations) + " — more than the budget of " + both(budget) +
           "; use a smaller batch, input or network, or raise the budget (--memory-budget SIZE, or the environment "
           "variable NETWRIGHT_MEMORY_BUDGET, e.g. 32G)";
}

struct Plan::State {
    const FlatGraph& graph;
    const Analysis& analysis;
    TensorMap owned;           // the weights, when the plan was given them to keep
    const TensorMap* weights;  // &owned or the caller's
    RunOptions options;
    std::string error;
    std::vector<size_t> lastUse;  // per node: position in the run order of its last reader
    std::vector<char> keep, requested;
    int outputSource = -1;
    int64_t peak = 0;
    Rewrites rewrites;
    std::vector<std::unique_ptr<KernelParams>> params;      // per node, from LayerKind::parse
    std::vector<std::unique_ptr<Prepared>> prepared;        // per node, from LayerKind::prepare
    std::vector<std::vector<const Tensor*>> kernelWeights;  // per node, looked up once per plan
    std::vector<int64_t> workspaceFloats;  // per node: scratch its kernel asks for (LayerKind::workspace)
    // Activation storage kept between runs (kernels write every element of their output).
    mutable BufferPool pool;
    Tensor acquire(const Shape& shape) const { return pool.acquire(shape); }
    void release(Tensor& t) const { pool.release(t); }

    // A node's weights as its kernel takes them: batch-norm folded in where the plan did that.
    std::vector<const Tensor*> nodeWeights(size_t idx) const {
        if (auto folded = rewrites.weights.find(idx); folded != rewrites.weights.end()) return folded->second;
        std::vector<const Tensor*> out;
        for (const WeightSpec& spec : analysis.nodes[idx].weights)
            out.push_back(&weights->find(weightName(graph.nodes[idx], spec))->second);
        return out;
    }
};

Plan::~Plan() = default;
Plan::Plan(Plan&&) noexcept = default;
const std::string& Plan::error() const { return state_->error; }
int64_t Plan::peakActivationBytes() const { return state_->peak; }

Plan::Plan(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights, const RunOptions& options)
    : state_(new State{graph, analysis, {}, &weights, options, {}, {}, {}, {}, -1, 0, Rewrites{}, {}, {}, {}}) {
    prepare();
}

Plan::Plan(const FlatGraph& graph, const Analysis& analysis, TensorMap&& weights, const RunOptions& options)
    : state_(new State{
          graph, analysis, std::move(weights), nullptr, options, {}, {}, {}, {}, -1, 0, Rewrites{}, {}, {}, {}}) {
    state_->weights = &state_->owned;
    prepare();
}

void Plan::prepare() {
    State& st = *state_;
    const FlatGraph& graph = st.graph;
    const Analysis& analysis = st.analysis;
    const TensorMap& weights = *st.weights;
    const RunOptions& options = st.options;
    if (analysis.errorCount() > 0) {
        st.error = "the graph has " + std::to_string(analysis.errorCount()) + " error(s); fix them before running";
        return;
    }
    const size_t n = graph.nodes.size();
    const auto& order = analysis.order;
    const Lifetimes life = lifetimes(graph, analysis);
    st.lastUse = life.lastUse;
    const std::vector<int>& consumers = life.consumers;
    st.outputSource = life.outputSource;
    st.keep.assign(n, 0);
    st.requested.assign(n, 0);
    for (const auto& name : options.keep) {
        int i = graph.find(name);
        if (i < 0) {
            st.error = "no node '" + name + "' to keep";
            return;
        }
        st.keep[static_cast<size_t>(i)] = st.requested[static_cast<size_t>(i)] = 1;
    }
    if (st.outputSource >= 0) st.keep[static_cast<size_t>(st.outputSource)] = 1;
    st.workspaceFloats.assign(n, 0);
    for (int idx : order)
        st.workspaceFloats[static_cast<size_t>(idx)] = nodeWorkspace(graph, analysis, static_cast<size_t>(idx));
    st.peak = activationPeak(graph, analysis, life, st.keep, st.workspaceFloats);
    // Refused before anything large is allocated (callers check memoryNeeds before making weights;
    // this is the same sum, from the plan's own lifetimes).
    MemoryNeeds needs = storedBytes(graph, analysis);
    needs.activations = st.peak;
    if (std::string e = checkMemory(needs, options.memoryBudgetBytes); !e.empty()) {
        st.error = e;
        return;
    }
    if (auto problems = checkWeights(graph, analysis, weights); !problems.empty()) {
        st.error = "the weights do not fit the graph:";
        for (const auto& p : problems) st.error += "\n  " + p;
        return;
    }
    const bool owned = st.weights == &st.owned;
    st.rewrites = planRewrites(graph, analysis, weights, owned ? &st.owned : nullptr, consumers, st.keep);
    // Typed attributes and packed weights; a plan that owns the weights frees the raw kernels the
    // packed ones replace.
    st.params.resize(n);
    st.prepared.resize(n);
    for (int idx : order) {
        const auto i = static_cast<size_t>(idx);
        const FlatNode& node = graph.nodes[i];
        const Shape* inShape = firstInputShape(graph, analysis, i);
        if (!inShape || st.rewrites.alias[i] >= 0) continue;
        st.params[i] = node.kind->parseParams(node.view(), *inShape);
        if (!node.kind->prepare) continue;
        st.prepared[i] = node.kind->prepare(node.view(), *inShape, analysis.nodes[i].outputs.at(0), st.nodeWeights(i));
        if (st.prepared[i] && owned)
            for (const WeightSpec& spec : analysis.nodes[i].weights)
                if (spec.role == WeightRole::Weight) st.owned.find(weightName(node, spec))->second = Tensor();
    }
    st.kernelWeights.resize(n);
    for (int idx : order) st.kernelWeights[static_cast<size_t>(idx)] = st.nodeWeights(static_cast<size_t>(idx));
}

RunResult Plan::run(const Tensor& input) const {
    const State& st = *state_;
    std::vector<std::string> names;
    for (const FlatNode& node : st.graph.nodes)
        if (node.kind->role == KindRole::Input) names.push_back(node.name);
    if (names.size() != 1) {
        RunResult result;
        result.error = "the graph has " + std::to_string(names.size()) + " Input nodes; give a tensor for each by name";
        return result;
    }
    return runViews({{names[0], &input}});
}

RunResult Plan::run(const TensorMap& inputs) const {
    std::map<std::string, const Tensor*> views;
    for (const auto& [name, t] : inputs) views.emplace(name, &t);
    return runViews(views);
}

RunResult Plan::runViews(const std::map<std::string, const Tensor*>& inputs) const {
    const State& st = *state_;
    const FlatGraph& graph = st.graph;
    const Analysis& analysis = st.analysis;
    RunResult result;
    if (!st.error.empty()) {
        result.error = st.error;
        return result;
    }
    const size_t n = graph.nodes.size();
    size_t inputNodes = 0;
    for (size_t i = 0; i < n; ++i) {
        if (graph.nodes[i].kind->role != KindRole::Input) continue;
        ++inputNodes;
        const std::string& name = graph.nodes[i].name;
        auto it = inputs.find(name);
        const Shape& want = analysis.nodes[i].outputs.at(0);
        if (it == inputs.end()) result.error = "no tensor for Input '" + name + "' (" + formatShape(want) + ")";
        else if (it->second->shape != want)
            result.error = "the input '" + name + "' is " + formatShape(it->second->shape) +
                           " but the network expects " + formatShape(want);
        else if (!allFinite(*it->second)) result.error = "the input '" + name + "' contains NaN or infinite values";
        if (!result.error.empty()) return result;
    }
    if (inputs.size() != inputNodes) {
        result.error = "got " + std::to_string(inputs.size()) + " input tensors for " + std::to_string(inputNodes) +
                       " Input nodes";
        return result;
    }
    result.peakActivationBytes = st.peak;
    const auto& order = analysis.order;
    const Rewrites& rewrites = st.rewrites;
    // outputs: what the plan computed; value: where each node's output is (the caller's input tensors
    // are read in place).
    std::vector<Tensor> outputs(n);
    std::vector<const Tensor*> value(n, nullptr);
    std::vector<const Tensor*> inputTensors;
    for (size_t p = 0; p < order.size(); ++p) {
        const auto idx = static_cast<size_t>(order[p]);
        const FlatNode& node = graph.nodes[idx];
        const NodeResult& info = analysis.nodes[idx];
        auto started = std::chrono::steady_clock::now();
        if (node.kind->role == KindRole::Input) value[idx] = inputs.find(node.name)->second;
        else if (rewrites.alias[idx] >= 0) {  // computed by the conv it was folded into
            const auto src = static_cast<size_t>(rewrites.aliasFrom[idx]);
            outputs[idx] = std::move(outputs[src]);
            value[idx] = &outputs[idx];
        } else if (!info.outputs.empty()) {
            inputTensors.clear();
            for (const PortRef& in : node.inputs) inputTensors.push_back(value[static_cast<size_t>(in.node)]);
            const int residual = rewrites.residual[idx];
            if (residual >= 0 && rewrites.stealResidual[idx] && !outputs[static_cast<size_t>(residual)].data.empty()) {
                outputs[idx] = std::move(outputs[static_cast<size_t>(residual)]);  // accumulate in place
            } else {
                outputs[idx] = st.acquire(info.outputs[0]);
                if (residual >= 0) {
                    const Tensor& add = *value[static_cast<size_t>(residual)];
                    std::copy(add.data.begin(), add.data.end(), outputs[idx].data.begin());
                }
            }
            value[idx] = &outputs[idx];
            Tensor workspace;
            if (const int64_t floats = st.workspaceFloats[idx]) workspace = st.acquire(Shape{floats});
            node.kind->forward(KernelArgs{st.params[idx].get(), inputTensors, st.kernelWeights[idx], outputs[idx],
                                          rewrites.relu[idx] != 0, st.prepared[idx].get(), residual >= 0,
                                          workspace.data.empty() ? nullptr : workspace.ptr()});
            st.release(workspace);
        }
        if (st.options.profile)
            result.nodeMs.emplace_back(
                node.name,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
        for (const PortRef& in : node.inputs) {
            auto src = static_cast<size_t>(in.node);
            if (st.lastUse[src] == p && !st.keep[src]) st.release(outputs[src]);
        }
        if (st.options.onNode && !st.options.onNode(p + 1, order.size())) {
            for (Tensor& t : outputs) st.release(t);
            result.error = "cancelled";
            return result;
        }
    }
    for (size_t i = 0; i < n; ++i)
        if (st.requested[i] && value[i]) result.kept.emplace(graph.nodes[i].name, *value[i]);
    if (st.outputSource >= 0) {
        const auto src = static_cast<size_t>(st.outputSource);
        // A copy: the buffer stays in the pool (it may be a large one the output was given).
        result.output.shape = value[src]->shape;
        result.output.data.assign(value[src]->data.begin(), value[src]->data.end());
        result.outputNode = graph.nodes[src].name;
        if (!allFinite(result.output))
            result.error = "the output contains NaN or infinite values (overflow in a layer?)";
    }
    for (Tensor& t : outputs) st.release(t);  // kept nodes' buffers, for the next run
    return result;
}

RunResult run(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights, const TensorMap& inputs,
              const RunOptions& options) {
    return Plan(graph, analysis, weights, options).run(inputs);
}

RunResult run(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights, const Tensor& input,
              const RunOptions& options) {
    return Plan(graph, analysis, weights, options).run(input);
}

}  // namespace nw
