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
    weightNames_.resize(graph.nodes.size());
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
        for (const WeightSpec& spec : analysis.nodes[static_cast<size_t>(idx)].weights) {
            weightNames_[static_cast<size_t>(idx)].push_back(weightName(node, spec));
            if (spec.trainable()) trainable_.emplace_back(weightNames_[static_cast<size_t>(idx)].back(), spec.shape);
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
                             TensorMap& gradients, const BackpropOptions& options) {
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
        for (const std::string& name : weightNames_[i]) nodeWeights[i].push_back(&weights.find(name)->second);
    }
    auto constWeights = [&](size_t i) {
        return std::vector<const Tensor*>(nodeWeights[i].begin(), nodeWeights[i].end());
    };
    std::vector<Tensor>& values = values_;
    auto sources = [&](size_t i) {
        std::vector<const Tensor*> out;
        for (const PortRef& p : graph.nodes[i].inputs)
            out.push_back(static_cast<size_t>(p.node) == in ? &input : &values[static_cast<size_t>(p.node)]);
        return out;
    };

    // Forward, keeping every activation and what each kind saves. The activations' buffers are the
    // last step's (the shapes do not change): kernels write every output element.
    values.resize(n);
    std::vector<Tensor> saved(n);
    for (int idx : order) {
        const auto i = static_cast<size_t>(idx);
        const FlatNode& node = graph.nodes[i];
        if (node.kind->role != KindRole::Layer) continue;
        const std::vector<const Tensor*> inputs = sources(i);
        const Shape& shape = analysis_.nodes[i].outputs.at(0);
        if (values[i].shape != shape) values[i] = Tensor(shape);
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

    // Backward in reverse order; a node's output gradient is the sum its consumers added. The
    // gradients' buffers are kept between steps too, zeroed when a step first adds to them.
    std::vector<Tensor>& grads = grads_;
    grads.resize(n);
    std::vector<char> touched(n, 0);
    auto gradientOf = [&](size_t i) -> Tensor* {
        if (i == in && !options.inputGradient) return nullptr;
        if (!touched[i]) {
            const Shape& shape = i == in ? input.shape : values[i].shape;
            if (grads[i].shape != shape) grads[i] = Tensor(shape);
            else std::fill(grads[i].data.begin(), grads[i].data.end(), 0.0f);
            touched[i] = 1;
        }
        return &grads[i];
    };
    size_t start = out;
    if (probabilities) start = static_cast<size_t>(graph.nodes[out].inputs.at(0).node);
    if (Tensor* g = gradientOf(start)) *g = std::move(loss.gradient);
    // The caller's gradient map is reused when it holds this graph's (the Trainer passes the same one
    // every step), else rebuilt.
    bool reuse = gradients.size() == trainable_.size();
    for (const auto& [name, shape] : trainable_) {
        auto it = reuse ? gradients.find(name) : gradients.end();
        if (it == gradients.end() || it->second.shape != shape) reuse = false;
        else std::fill(it->second.data.begin(), it->second.data.end(), 0.0f);
    }
    if (!reuse) {
        gradients.clear();
        for (const auto& [name, shape] : trainable_) gradients.emplace(name, Tensor(shape));
    }
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        const auto i = static_cast<size_t>(*it);
        const FlatNode& node = graph.nodes[i];
        if (node.kind->role != KindRole::Layer || !touched[i] || (probabilities && i == out)) continue;
        std::vector<Tensor*> dInputs, dWeights;
        for (const PortRef& p : node.inputs) dInputs.push_back(gradientOf(static_cast<size_t>(p.node)));
        const auto& specs = analysis_.nodes[i].weights;
        for (size_t w = 0; w < specs.size(); ++w)
            dWeights.push_back(specs[w].trainable() ? &gradients.find(weightNames_[i][w])->second : nullptr);
        const std::vector<const Tensor*> inputs = sources(i), w = constWeights(i);
        const NodeAttrs attrs = node.view();
        node.kind->backward(BackwardArgs{attrs, inputs, w, values[i], saved[i], grads[i], dInputs, dWeights});
        saved[i] = Tensor();
    }
    if (options.inputGradient) result.inputGradient = grads[in];
    return result;
}

}  // namespace nw
