#include "backprop.h"

#include <cmath>
#include <functional>

#include "executor.h"
#include "loss.h"
#include "weights.h"

namespace nw {

Backprop::Backprop(const FlatGraph& graph, const Analysis& analysis) : graph_(graph), analysis_(analysis) {
    if (analysis.errorCount() > 0) {
        error_ = "the graph has " + std::to_string(analysis.errorCount()) + " error(s); fix them before training";
        return;
    }
    for (int idx : analysis.order) {
        const FlatNode& node = graph.nodes[static_cast<size_t>(idx)];
        if (node.kind->role == KindRole::Input) {
            if (input_ >= 0) {
                error_ = "training takes a network with one Input node; this one has more ('" +
                         graph.nodes[static_cast<size_t>(input_)].name + "', '" + node.name + "')";
                return;
            }
            input_ = idx;
        } else if (node.kind->role == KindRole::Layer && !node.kind->backward) {
            error_ = "'" + node.name + "' (" + node.kind->name +
                     ") cannot be trained through: its kind has no backward pass";
            return;
        }
        for (const Shape& s : analysis.nodes[static_cast<size_t>(idx)].outputs)
            activationBytes_ = saturatingAdd(activationBytes_, saturatingMul(checkedProduct(s).value_or(INT64_MAX), 8));
    }
    if (input_ < 0) {
        error_ = "the network has no Input node";
        return;
    }
    output_ = networkOutput(graph, analysis);
    const auto& out = analysis.nodes[static_cast<size_t>(output_)].outputs;
    if (out.empty() || out[0].size() != 2)
        error_ = "the network's output ('" + graph.nodes[static_cast<size_t>(output_)].name + "') is " +
                 (out.empty() ? std::string("nothing") : formatShape(out[0])) +
                 "; training needs N × classes scores (end the network in a Linear or a global pooling)";
}

BackpropResult Backprop::run(TensorMap& weights, const Tensor& input, const std::vector<int64_t>& labels,
                             TensorMap& gradients, const BackpropOptions& options) const {
    BackpropResult result;
    if (!error_.empty()) {
        result.error = error_;
        return result;
    }
    const FlatGraph& graph = graph_;
    const auto& order = analysis_.order;
    const size_t n = graph.nodes.size();
    const auto in = static_cast<size_t>(input_);
    if (input.shape != analysis_.nodes[in].outputs.at(0)) {
        result.error = "the batch is " + formatShape(input.shape) + " but the network was analysed for " +
                       formatShape(analysis_.nodes[in].outputs[0]);
        return result;
    }
    if (auto problems = checkWeights(graph, analysis_, weights); !problems.empty()) {
        result.error = "the weights do not fit the graph:";
        for (const auto& p : problems) result.error += "\n  " + p;
        return result;
    }
    // Per node: its weights in its kind's order (mutable: batch norms' running statistics move).
    std::vector<std::vector<Tensor*>> nodeWeights(n);
    for (int idx : order) {
        const auto i = static_cast<size_t>(idx);
        for (const WeightSpec& spec : analysis_.nodes[i].weights)
            nodeWeights[i].push_back(&weights.find(weightName(graph.nodes[i], spec))->second);
    }
    auto constWeights = [&](size_t i) {
        return std::vector<const Tensor*>(nodeWeights[i].begin(), nodeWeights[i].end());
    };
    auto sources = [&](size_t i, const std::vector<Tensor>& values) {
        std::vector<const Tensor*> out;
        for (const PortRef& p : graph.nodes[i].inputs)
            out.push_back(static_cast<size_t>(p.node) == in ? &input : &values[static_cast<size_t>(p.node)]);
        return out;
    };

    // Forward, keeping every activation and what each kind saves.
    std::vector<Tensor> values(n), saved(n);
    for (int idx : order) {
        const auto i = static_cast<size_t>(idx);
        const FlatNode& node = graph.nodes[i];
        if (node.kind->role != KindRole::Layer) continue;
        const std::vector<const Tensor*> inputs = sources(i, values);
        values[i] = Tensor(analysis_.nodes[i].outputs.at(0));
        const NodeAttrs attrs = node.view();
        if (node.kind->trainForward) {
            const uint64_t seed = options.seed ^ std::hash<std::string>{}(node.name);
            node.kind->trainForward(TrainArgs{attrs, inputs, nodeWeights[i], values[i], saved[i], seed});
        } else {
            const std::vector<const Tensor*> w = constWeights(i);
            node.kind->forward(KernelArgs{attrs, inputs, w, values[i]});
        }
    }

    // The loss on the output; a softmax at the end hands its input the gradient of the log-loss.
    const auto out = static_cast<size_t>(output_);
    const bool probabilities = graph.nodes[out].kind->outputsProbabilities;
    LossResult loss = softmaxCrossEntropy(values[out], labels, options.labelSmoothing, probabilities);
    if (!loss.error.empty()) {
        result.error = loss.error;
        return result;
    }
    result.loss = loss.loss;
    result.correct = loss.correct;
    if (!std::isfinite(result.loss)) {
        result.error = "the loss is not finite (" + std::to_string(result.loss) +
                       "): the weights or the learning rate have diverged";
        return result;
    }

    // Backward in reverse order; a node's output gradient is the sum its consumers added.
    std::vector<Tensor> grads(n);
    auto gradientOf = [&](size_t i) -> Tensor* {
        if (i == in && !options.inputGradient) return nullptr;
        if (grads[i].data.empty()) grads[i] = Tensor(i == in ? input.shape : values[i].shape);
        return &grads[i];
    };
    size_t start = out;
    if (probabilities) start = static_cast<size_t>(graph.nodes[out].inputs.at(0).node);
    if (Tensor* g = gradientOf(start)) *g = std::move(loss.gradient);
    gradients.clear();
    for (size_t i = 0; i < n; ++i)
        for (const WeightSpec& spec : analysis_.nodes[i].weights)
            if (spec.trainable()) gradients.emplace(weightName(graph.nodes[i], spec), Tensor(spec.shape));
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        const auto i = static_cast<size_t>(*it);
        const FlatNode& node = graph.nodes[i];
        if (node.kind->role != KindRole::Layer || grads[i].data.empty() || (probabilities && i == out)) continue;
        std::vector<Tensor*> dInputs, dWeights;
        for (const PortRef& p : node.inputs) dInputs.push_back(gradientOf(static_cast<size_t>(p.node)));
        for (const WeightSpec& spec : analysis_.nodes[i].weights)
            dWeights.push_back(spec.trainable() ? &gradients.find(weightName(node, spec))->second : nullptr);
        const std::vector<const Tensor*> inputs = sources(i, values), w = constWeights(i);
        const NodeAttrs attrs = node.view();
        node.kind->backward(BackwardArgs{attrs, inputs, w, values[i], saved[i], grads[i], dInputs, dWeights});
        grads[i] = Tensor();  // read once: every consumer ran before it
        saved[i] = Tensor();
    }
    if (options.inputGradient) result.inputGradient = std::move(grads[in]);
    return result;
}

}  // namespace nw
