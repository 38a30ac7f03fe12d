#include "executor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>

namespace nw {

namespace {

std::string weightName(const FlatNode& node, const WeightSpec& spec) { return node.name + "." + spec.name; }

bool allFinite(const Tensor& t) {
    for (float v : t.data)
        if (!std::isfinite(v)) return false;
    return true;
}

}  // namespace

std::vector<std::string> checkWeights(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights) {
    std::vector<std::string> problems;
    size_t expected = 0;
    std::vector<std::string> missing;
    for (size_t i = 0; i < graph.nodes.size(); ++i)
        for (const WeightSpec& spec : analysis.nodes[i].weights) {
            ++expected;
            std::string name = weightName(graph.nodes[i], spec);
            auto it = weights.find(name);
            if (it == weights.end()) missing.push_back(name + " " + formatShape(spec.shape));
            else if (it->second.shape != spec.shape)
                problems.push_back(name + " has shape " + formatShape(it->second.shape) + ", the graph needs " +
                                   formatShape(spec.shape));
            else if (!allFinite(it->second))
                problems.push_back(name + " contains NaN or infinite values");
        }
    for (const auto& m : missing) problems.push_back("missing " + m);
    if (weights.size() + missing.size() > expected) {
        std::vector<std::string> known;
        for (size_t i = 0; i < graph.nodes.size(); ++i)
            for (const WeightSpec& spec : analysis.nodes[i].weights) known.push_back(weightName(graph.nodes[i], spec));
        std::sort(known.begin(), known.end());
        for (const auto& [name, t] : weights)
            if (!std::binary_search(known.begin(), known.end(), name))
                problems.push_back("unexpected " + name + " " + formatShape(t.shape) + " (no such layer parameter)");
    }
    return problems;
}

TensorMap initWeights(const FlatGraph& graph, const Analysis& analysis, uint64_t seed) {
    TensorMap out;
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        const auto& specs = analysis.nodes[i].weights;
        // Biases share the fan-in of their layer's (first) weight, as in PyTorch.
        int64_t fanIn = 1;
        for (const WeightSpec& s : specs)
            if (s.role == WeightRole::Weight) {
                fanIn = 1;
                for (size_t d = 1; d < s.shape.size(); ++d) fanIn *= s.shape[d];
                break;
            }
        for (const WeightSpec& spec : specs) {
            std::string name = weightName(graph.nodes[i], spec);
            Tensor t(spec.shape);
            std::mt19937_64 rng(seed ^ std::hash<std::string>{}(name));
            switch (spec.role) {
                case WeightRole::Weight:
                case WeightRole::Bias: {
                    int64_t fan = fanIn;
                    if (spec.role == WeightRole::Weight) {
                        fan = 1;
                        for (size_t d = 1; d < spec.shape.size(); ++d) fan *= spec.shape[d];
                    }
                    const float bound = 1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(fan, 1)));
                    std::uniform_real_distribution<float> u(-bound, bound);
                    for (float& v : t.data) v = u(rng);
                    break;
                }
                case WeightRole::NormAffine:
                case WeightRole::NormStatistic: {
                    const bool one = spec.name.ends_with("weight") || spec.name.ends_with("running_var");
                    std::fill(t.data.begin(), t.data.end(), one ? 1.0f : 0.0f);
                    break;
                }
            }
            out.emplace(std::move(name), std::move(t));
        }
    }
    return out;
}

RunResult run(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights, const Tensor& input,
              const RunOptions& options) {
    std::vector<std::string> names;
    for (const FlatNode& node : graph.nodes)
        if (node.kind->inputs.empty()) names.push_back(node.name);
    if (names.size() != 1) {
        RunResult result;
        result.error = "the graph has " + std::to_string(names.size()) + " Input nodes; give a tensor for each by name";
        return result;
    }
    TensorMap inputs;
    inputs.emplace(names[0], input);
    return run(graph, analysis, weights, inputs, options);
}

RunResult run(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights, const TensorMap& inputs,
              const RunOptions& options) {
    RunResult result;
    if (analysis.errorCount() > 0) {
        result.error = "the graph has " + std::to_string(analysis.errorCount()) + " error(s); fix them before running";
        return result;
    }
    const size_t n = graph.nodes.size();
    size_t inputNodes = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!graph.nodes[i].kind->inputs.empty()) continue;
        ++inputNodes;
        const std::string& name = graph.nodes[i].name;
        auto it = inputs.find(name);
        const Shape& want = analysis.nodes[i].outputs.at(0);
        if (it == inputs.end()) result.error = "no tensor for Input '" + name + "' (" + formatShape(want) + ")";
        else if (it->second.shape != want)
            result.error = "the input '" + name + "' is " + formatShape(it->second.shape) + " but the network expects " +
                           formatShape(want);
        else if (!allFinite(it->second)) result.error = "the input '" + name + "' contains NaN or infinite values";
        if (!result.error.empty()) return result;
    }
    if (inputs.size() != inputNodes) {
        result.error = "got " + std::to_string(inputs.size()) + " input tensors for " + std::to_string(inputNodes) +
                       " Input nodes";
        return result;
    }
    if (auto problems = checkWeights(graph, analysis, weights); !problems.empty()) {
        result.error = "the weights do not fit the graph:";
        for (const auto& p : problems) result.error += "\n  " + p;
        return result;
    }
    const auto& order = analysis.order;

    // Lifetimes: a node's output lives until the last node (in run order) that reads it.
    std::vector<size_t> position(n, 0), lastUse(n, 0);
    for (size_t p = 0; p < order.size(); ++p) position[static_cast<size_t>(order[p])] = p;
    int outputSource = order.empty() ? -1 : order.back();
    for (int idx : order) {
        const FlatNode& node = graph.nodes[static_cast<size_t>(idx)];
        for (const PortRef& in : node.inputs) {
            auto src = static_cast<size_t>(in.node);
            lastUse[src] = std::max(lastUse[src], position[static_cast<size_t>(idx)]);
        }
    }
    for (int idx : order) {
        const FlatNode& node = graph.nodes[static_cast<size_t>(idx)];
        if (node.kind->outputs.empty() && !node.inputs.empty()) {
            outputSource = node.inputs[0].node;
            break;
        }
    }
    std::vector<char> keep(n, 0), requested(n, 0);
    for (const auto& name : options.keep) {
        int i = graph.find(name);
        if (i < 0) {
            result.error = "no node '" + name + "' to keep";
            return result;
        }
        keep[static_cast<size_t>(i)] = requested[static_cast<size_t>(i)] = 1;
    }
    if (outputSource >= 0) keep[static_cast<size_t>(outputSource)] = 1;

    // Refuse before allocating when the live activations would exceed the budget.
    int64_t live = 0, peak = 0;
    std::vector<int64_t> bytes(n, 0);
    for (size_t p = 0; p < order.size(); ++p) {
        auto idx = static_cast<size_t>(order[p]);
        for (const Shape& s : analysis.nodes[idx].outputs) bytes[idx] += *checkedProduct(s) * 4;
        live += bytes[idx];
        peak = std::max(peak, live);
        for (const PortRef& in : graph.nodes[idx].inputs) {
            auto src = static_cast<size_t>(in.node);
            if (lastUse[src] == p && !keep[src]) live -= bytes[src];
        }
    }
    if (peak > options.memoryBudgetBytes) {
        result.error = "running needs " + formatInt(peak) + " bytes of activations at once, more than the budget of " +
                       formatInt(options.memoryBudgetBytes) + " bytes; use a smaller batch or input";
        return result;
    }
    result.peakActivationBytes = peak;

    std::vector<Tensor> outputs(n);
    std::vector<const Tensor*> inputTensors, weightTensors;
    for (size_t p = 0; p < order.size(); ++p) {
        const auto idx = static_cast<size_t>(order[p]);
        const FlatNode& node = graph.nodes[idx];
        const NodeResult& info = analysis.nodes[idx];
        auto started = std::chrono::steady_clock::now();
        if (node.kind->inputs.empty()) outputs[idx] = inputs.find(node.name)->second;
        else if (!info.outputs.empty()) {
            inputTensors.clear();
            for (const PortRef& in : node.inputs) inputTensors.push_back(&outputs[static_cast<size_t>(in.node)]);
            weightTensors.clear();
            for (const WeightSpec& spec : info.weights) weightTensors.push_back(&weights.find(weightName(node, spec))->second);
            outputs[idx] = Tensor(info.outputs[0]);
            NodeAttrs attrs = node.view();
            node.kind->forward(KernelArgs{attrs, inputTensors, weightTensors, outputs[idx]});
        }
        if (options.profile)
            result.nodeMs.emplace_back(node.name, std::chrono::duration<double, std::milli>(
                                                      std::chrono::steady_clock::now() - started).count());
        for (const PortRef& in : node.inputs) {
            auto src = static_cast<size_t>(in.node);
            if (lastUse[src] == p && !keep[src]) outputs[src] = Tensor();
        }
    }
    for (size_t i = 0; i < n; ++i)
        if (requested[i]) result.kept.emplace(graph.nodes[i].name, outputs[i]);
    if (outputSource >= 0) {
        result.output = std::move(outputs[static_cast<size_t>(outputSource)]);
        result.outputNode = graph.nodes[static_cast<size_t>(outputSource)].name;
        if (!allFinite(result.output)) result.error = "the output contains NaN or infinite values (overflow in a layer?)";
    }
    return result;
}

}  // namespace nw
