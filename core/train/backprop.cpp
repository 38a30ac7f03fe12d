#include "backprop.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "executor.h"
#include "loss.h"
#include "weights.h"

namespace nw {

struct Backprop::Half {
    int64_t first, count;  // its samples of the batch
    Analysis analysis;
    std::unique_ptr<Backprop> backprop;
    Tensor input;
    std::vector<int64_t> labels;
    TensorMap gradients;
    BackpropResult result;
};

Backprop::Backprop(const FlatGraph& graph, const Analysis& analysis) : Backprop(graph, analysis, false) {}

Backprop::~Backprop() = default;

Backprop::Backprop(const FlatGraph& graph, const Analysis& analysis, bool whole) : graph_(graph), analysis_(analysis) {
    if (analysis.errorCount() > 0) {
        error_ = "the graph has " + std::to_string(analysis.errorCount()) + " error(s); fix them before training";
        return;
    }
    weightNames_.resize(graph.nodes.size());
    params_.resize(graph.nodes.size());
    for (int idx : analysis.order) {
        const FlatNode& node = graph.nodes[static_cast<size_t>(idx)];
        params_[static_cast<size_t>(idx)] = parseNodeParams(graph, analysis, static_cast<size_t>(idx));
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
    if (out.empty() || out[0].size() != 2) {
        error_ = "the network's output ('" + graph.nodes[static_cast<size_t>(output_)].name + "') is " +
                 (out.empty() ? std::string("nothing") : formatShape(out[0])) +
                 "; training needs N × classes scores (end the network in a Linear or a global pooling)";
        return;
    }
    const Shape& batch = analysis.nodes[static_cast<size_t>(input_)].outputs.at(0);
    const bool mixes = std::any_of(analysis.order.begin(), analysis.order.end(),
                                   [&](int idx) { return graph.nodes[static_cast<size_t>(idx)].kind->mixesBatch; });
    if (whole || mixes || batch[0] < kSplitBatch) return;
    for (int64_t first : {int64_t{0}, (batch[0] + 1) / 2}) {
        auto half = std::make_unique<Half>();
        half->first = first;
        half->count = first == 0 ? (batch[0] + 1) / 2 : batch[0] - first;
        Shape shape = batch;
        shape[0] = half->count;
        AnalyzeOptions options;
        options.inputShape = shape;
        half->analysis = analyze(graph, options);
        half->backprop.reset(new Backprop(graph, half->analysis, true));
        if (!half->backprop->error().empty()) return;  // train whole; cannot happen for a graph that analyses
        halves_.push_back(std::move(half));
    }
    if (halves_.size() < 2) halves_.clear();
}

BackpropResult Backprop::run(TensorMap& weights, const Tensor& input, const std::vector<int64_t>& labels,
                             TensorMap& gradients, const BackpropOptions& options) {
    if (!error_.empty()) return {error_};
    // Checked once for the whole batch: the halves run on what was checked here.
    const auto in = static_cast<size_t>(input_);
    if (input.shape != analysis_.nodes[in].outputs.at(0))
        return {"the batch is " + formatShape(input.shape) + " but the network was analysed for " +
                formatShape(analysis_.nodes[in].outputs[0])};
    if (auto problems = checkWeights(graph_, analysis_, weights); !problems.empty()) {
        BackpropResult r{"the weights do not fit the graph:"};
        for (const auto& p : problems) r.error += "\n  " + p;
        return r;
    }
    if (!halves_.empty() && options.split) return runHalves(weights, input, labels, gradients, options);
    return runWhole(weights, input, labels, gradients, options, 0);
}

BackpropResult Backprop::runHalves(TensorMap& weights, const Tensor& input, const std::vector<int64_t>& labels,
                                   TensorMap& gradients, const BackpropOptions& options) {
    // The labels before the batch is cut, so an error names the sample's place in the whole batch.
    const int64_t N = input.shape[0], classes = analysis_.nodes[static_cast<size_t>(output_)].outputs[0][1];
    if (static_cast<int64_t>(labels.size()) != N)
        return {std::to_string(labels.size()) + " labels for a batch of " + std::to_string(N)};
    if (std::string why = labelProblem(labels, classes); !why.empty()) return {why};
    const int64_t sample = input.numel() / N;
    for (const auto& h : halves_) {
        Shape shape = input.shape;
        shape[0] = h->count;
        if (h->input.shape != shape) h->input = Tensor(shape);
        std::copy_n(input.ptr() + h->first * sample, h->count * sample, h->input.ptr());
        h->labels.assign(labels.begin() + h->first, labels.begin() + h->first + h->count);
    }
    // Each half on a thread of its own (its kernels' parallel regions then run on one); with one
    // thread, one after the other. Weights are only read: no kind that writes them (batch norm) splits.
    const int threads = std::min(2, omp_get_max_threads());
#pragma omp parallel for schedule(static, 1) num_threads(threads)
    for (size_t h = 0; h < 2; ++h) {
        Half& half = *halves_[h];
        const CallerThreadOnly alone;
        BackpropOptions o = options;
        o.seed = options.seed + 0x9e3779b97f4a7c15ULL * (h + 1);  // its own dropout masks
        half.result = half.backprop->runWhole(weights, half.input, half.labels, half.gradients, o, N);
    }
    BackpropResult result;
    for (const auto& h : halves_)
        if (!h->result.error.empty()) return {h->result.error};
    const Half &a = *halves_[0], &b = *halves_[1];
    result.loss = a.result.loss + b.result.loss;
    result.correct = a.result.correct + b.result.correct;
    if (!std::isfinite(result.loss))
        return {"the loss is not finite (" + std::to_string(result.loss) +
                "): the weights or the learning rate have diverged"};
    if (gradients.size() != a.gradients.size()) gradients.clear();
    for (const auto& [name, g] : a.gradients) {
        const Tensor& other = b.gradients.at(name);
        Tensor& sum = gradients[name];
        if (sum.shape != g.shape) sum = Tensor(g.shape);
        for (size_t k = 0; k < g.data.size(); ++k) sum.data[k] = g.data[k] + other.data[k];
    }
    if (options.inputGradient) {
        result.inputGradient = Tensor(input.shape);
        for (const auto& h : halves_)
            std::copy(h->result.inputGradient.data.begin(), h->result.inputGradient.data.end(),
                      result.inputGradient.ptr() + h->first * sample);
    }
    return result;
}

BackpropResult Backprop::runWhole(TensorMap& weights, const Tensor& input, const std::vector<int64_t>& labels,
                                  TensorMap& gradients, const BackpropOptions& options, int64_t meanOver) {
    BackpropResult result;
    const FlatGraph& graph = graph_;
    const auto& order = analysis_.order;
    const size_t n = graph.nodes.size();
    const auto in = static_cast<size_t>(input_);
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

    // Buffers come from a pool kept between steps (fresh pages would be zeroed by the kernel every
    // step); an activation goes back to it once its node's backward has run, a gradient once read.
    auto acquire = [&](const Shape& shape) { return pool_.acquire(shape); };
    auto release = [&](Tensor& t) { pool_.release(t); };

    // Forward, keeping every activation and what each kind saves (kernels write every output element).
    values.assign(n, Tensor());
    std::vector<Tensor> saved(n);
    for (int idx : order) {
        const auto i = static_cast<size_t>(idx);
        const FlatNode& node = graph.nodes[i];
        if (node.kind->role != KindRole::Layer) continue;
        const std::vector<const Tensor*> inputs = sources(i);
        const Shape& shape = analysis_.nodes[i].outputs.at(0);
        values[i] = acquire(shape);
        const KernelParams* params = params_[i].get();
        if (node.kind->trainForward) {
            const uint64_t seed = options.seed ^ std::hash<std::string>{}(node.name);
            node.kind->trainForward(TrainArgs{params, inputs, nodeWeights[i], values[i], saved[i], seed});
        } else {
            const std::vector<const Tensor*> w = constWeights(i);
            node.kind->forward(KernelArgs{params, inputs, w, values[i]});
        }
    }

    // The loss on the output; a softmax at the end hands its input the gradient of the log-loss.
    const auto out = static_cast<size_t>(output_);
    const bool probabilities = graph.nodes[out].kind->outputsProbabilities;
    LossResult loss = softmaxCrossEntropy(values[out], labels, options.labelSmoothing, probabilities, meanOver);
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
    std::vector<char> touched(n, 0);
    auto gradientOf = [&](size_t i) -> Tensor* {
        if (i == in && !options.inputGradient) return nullptr;
        if (!touched[i]) {
            const Shape& shape = i == in ? input.shape : values[i].shape;
            grads[i] = acquire(shape);
            std::fill(grads[i].data.begin(), grads[i].data.end(), 0.0f);
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
        node.kind->backward(
            BackwardArgs{params_[i].get(), inputs, w, values[i], saved[i], grads[i], dInputs, dWeights});
        saved[i] = Tensor();
        release(grads[i]);  // read once: every consumer ran before it
        release(values[i]);
    }
    if (options.inputGradient) result.inputGradient = std::move(grads[in]);
    for (Tensor& t : values) release(t);  // nodes the loss does not depend on
    return result;
}

}  // namespace nw
