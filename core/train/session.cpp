#include "session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <numeric>

#include "backprop.h"
#include "executor.h"
#include "weights.h"

namespace nw {

namespace {

// The flat graph analysed for a batch of `batch` samples of its Input's shape.
Analysis analyzeForBatch(const FlatGraph& graph, const Shape& sample, int64_t batch) {
    Shape shape{batch};
    shape.insert(shape.end(), sample.begin(), sample.end());
    AnalyzeOptions options;
    options.inputShape = shape;
    return analyze(graph, options);
}

constexpr const char* kEpochKey = "netwright.epochs_done";
constexpr const char* kStepKey = "netwright.global_step";
constexpr const char* kOptimizerPrefix = "optimizer.";

}  // namespace

Evaluation evaluate(const FlatGraph& graph, const TensorMap& weights, const Dataset& data, int64_t batch) {
    Evaluation e;
    const int in = graph.firstInput();
    if (in < 0) {
        e.error = "the network has no Input node";
        return e;
    }
    const NodeAttrs input = graph.nodes[static_cast<size_t>(in)].view();
    const int64_t classes = std::max<int64_t>(data.highestLabel() + 1, static_cast<int64_t>(data.classes.size()));
    e.confusion.assign(static_cast<size_t>(classes), std::vector<int64_t>(static_cast<size_t>(classes), 0));
    std::mt19937_64 unused;
    Tensor x;
    std::vector<int64_t> labels, indices;
    for (int64_t first = 0; first < data.size(); first += batch) {
        const int64_t n = std::min(batch, data.size() - first);
        const Analysis analysis = analyzeForBatch(graph, data.sample, n);
        const Plan plan(graph, analysis, weights);
        if (!plan.error().empty()) {
            e.error = plan.error();
            return e;
        }
        indices.resize(static_cast<size_t>(n));
        std::iota(indices.begin(), indices.end(), first);
        if (std::string why = prepareBatch(data, input, indices, {}, unused, x, labels); !why.empty()) {
            e.error = why;
            return e;
        }
        RunResult r = plan.run(x);
        if (!r.error.empty()) {
            e.error = r.error;
            return e;
        }
        const int64_t width = r.output.numel() / n;
        if (width < classes) {
            e.error = data.source + " has " + std::to_string(classes) + " classes but the network's output only " +
                      std::to_string(width);
            return e;
        }
        for (int64_t k = 0; k < n; ++k) {
            const float* scores = r.output.ptr() + k * width;
            const int64_t predicted = std::max_element(scores, scores + width) - scores;
            const int64_t truth = labels[static_cast<size_t>(k)];
            if (predicted < classes) ++e.confusion[static_cast<size_t>(truth)][static_cast<size_t>(predicted)];
            if (predicted == truth) ++e.correct;
            else e.misclassified.emplace_back(first + k, predicted);
            ++e.samples;
        }
    }
    return e;
}

struct Trainer::Sized {
    Analysis analysis;
    std::unique_ptr<Backprop> backprop;
};

Trainer::Trainer(const FlatGraph& graph, TensorMap weights, TrainOptions options)
    : graph_(graph), weights_(std::move(weights)), options_(std::move(options)), optimizer_(options_.optimizer) {
    input_ = graph.firstInput();
    if (input_ < 0) {
        error_ = "the network has no Input node";
        return;
    }
    if (options_.batch < 1 || options_.epochs < 1) {
        error_ = "the batch and the number of epochs must be at least 1";
        return;
    }
    const Sized* probe = sized(options_.batch);
    if (!probe->backprop->error().empty()) {
        error_ = probe->backprop->error();
        return;
    }
    classes_ = probe->analysis.nodes[static_cast<size_t>(networkOutput(graph, probe->analysis))].outputs.at(0).at(1);
    // Weights, gradients and up to two optimizer moments; every activation and its gradient.
    const MemoryNeeds needs{saturatingMul(4, weightBytes(probe->analysis)), 0, probe->backprop->activationBytes()};
    error_ = checkMemory(needs, options_.memoryBudgetBytes);
}

Trainer::~Trainer() = default;

const Trainer::Sized* Trainer::sized(int64_t batch) {
    for (const auto& [n, s] : sized_)
        if (n == batch) return s.get();
    const NodeAttrs input = graph_.nodes[static_cast<size_t>(input_)].view();
    Shape sample{input.i("channels")};
    if (input.i("height") > 0) sample.insert(sample.end(), {input.i("height"), input.i("width")});
    auto s = std::make_unique<Sized>();
    s->analysis = analyzeForBatch(graph_, sample, batch);
    s->backprop = std::make_unique<Backprop>(graph_, s->analysis);
    sized_.emplace_back(batch, std::move(s));
    return sized_.back().second.get();
}

std::string Trainer::writeCheckpoint() const {
    TensorMap all = weights_;
    for (auto& [key, t] : optimizer_.state()) all.emplace(kOptimizerPrefix + key, t);
    Tensor epochs({1}), step({1});
    epochs.data[0] = static_cast<float>(epochsDone_);
    step.data[0] = static_cast<float>(globalStep_);
    all.emplace(kEpochKey, std::move(epochs));
    all.emplace(kStepKey, std::move(step));
    return writeSafetensors(options_.checkpoint, all);
}

std::string Trainer::resume(const std::string& path) {
    TensorMapResult file = readSafetensors(path);
    if (!file.error.empty()) return file.error;
    TensorMap weights, state;
    int64_t epochs = -1, step = 0;
    for (auto& [name, t] : file.tensors) {
        if (name == kEpochKey && t.numel() == 1) epochs = static_cast<int64_t>(t.data[0]);
        else if (name == kStepKey && t.numel() == 1) step = static_cast<int64_t>(t.data[0]);
        else if (name.rfind(kOptimizerPrefix, 0) == 0)
            state.emplace(name.substr(std::string(kOptimizerPrefix).size()), t);
        else weights.emplace(name, std::move(t));
    }
    if (epochs < 0) return path + ": not a Netwright training checkpoint (it has no " + kEpochKey + ")";
    const Sized* s = sized(1);
    if (auto problems = checkWeights(graph_, s->analysis, weights); !problems.empty()) {
        std::string message = path + " is a checkpoint of another network:";
        for (const auto& p : problems) message += "\n  " + p;
        return message;
    }
    if (std::string e = optimizer_.restore(state); !e.empty()) return path + ": " + e;
    weights_ = std::move(weights);
    epochsDone_ = epochs;
    globalStep_ = step;
    return {};
}

TrainResult Trainer::run(const Dataset& train, const Dataset& validation, const TrainEvents& events) {
    TrainResult result;
    if (!error_.empty()) {
        result.error = error_;
        return result;
    }
    if (train.size() == 0) {
        result.error = train.source + " holds no samples";
        return result;
    }
    for (const Dataset* d : {&train, &validation})
        if (d->highestLabel() >= classes_) {
            result.error = d->source + " has labels up to " + std::to_string(d->highestLabel()) +
                           " but the network's output has " + std::to_string(classes_) + " classes (0 to " +
                           std::to_string(classes_ - 1) + ")";
            return result;
        }
    const NodeAttrs input = graph_.nodes[static_cast<size_t>(input_)].view();
    const int64_t B = options_.batch, N = train.size(), stepsPerEpoch = (N + B - 1) / B;
    const int64_t totalSteps = stepsPerEpoch * options_.epochs;
    TensorMap gradients, lastGood = weights_;
    const auto started = std::chrono::steady_clock::now();
    const int64_t startStep = globalStep_;
    for (int64_t epoch = epochsDone_; epoch < options_.epochs; ++epoch) {
        const auto epochStarted = std::chrono::steady_clock::now();
        // The epoch's order and augmentation from the seed and the epoch alone (a resumed run repeats them).
        std::vector<int64_t> order(static_cast<size_t>(N));
        std::iota(order.begin(), order.end(), 0);
        std::mt19937_64 shuffle(options_.seed * 1000003 + static_cast<uint64_t>(epoch));
        std::shuffle(order.begin(), order.end(), shuffle);
        std::mt19937_64 augmentRng(options_.seed * 7919 + static_cast<uint64_t>(epoch) + 1);
        struct Batch {
            Tensor x;
            std::vector<int64_t> labels;
            std::string error;
        };
        auto prepare = [&](int64_t s) {
            Batch b;
            const auto first = order.begin() + s * B;
            const std::vector<int64_t> indices(first, first + std::min(B, N - s * B));
            b.error = prepareBatch(train, input, indices, options_.augment, augmentRng, b.x, b.labels);
            return b;
        };
        std::future<Batch> next = std::async(std::launch::async, prepare, 0);
        double lossSum = 0;
        int64_t correct = 0, seen = 0;
        for (int64_t s = 0; s < stepsPerEpoch; ++s) {
            Batch batch = next.get();
            if (s + 1 < stepsPerEpoch) next = std::async(std::launch::async, prepare, s + 1);
            if (!batch.error.empty()) {
                result.error = batch.error;
                return result;
            }
            const Sized* sz = sized(batch.x.shape[0]);
            BackpropOptions bo;
            bo.labelSmoothing = options_.labelSmoothing;
            bo.seed = options_.seed ^ (static_cast<uint64_t>(globalStep_) * 0x9e3779b97f4a7c15ULL);
            BackpropResult r = sz->backprop->run(weights_, batch.x, batch.labels, gradients, bo);
            if (!r.error.empty()) {
                if (next.valid()) next.wait();
                weights_ = lastGood;  // the last good weights (those of the last checkpoint)
                result.error =
                    "epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(s + 1) + ": " + r.error +
                    "; training stopped, the weights " +
                    (epochsDone_ > 0 ? "of epoch " + std::to_string(epochsDone_) : std::string("at the start")) +
                    " are kept";
                return result;
            }
            const double lr =
                options_.optimizer.lr * scheduleFactor(options_.schedule, globalStep_, stepsPerEpoch, options_.epochs);
            optimizer_.step(weights_, gradients, lr);
            ++globalStep_;
            lossSum += r.loss;
            correct += r.correct;
            seen += batch.x.shape[0];
            if (events.onStep) {
                const double elapsed =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                StepReport report;
                report.epoch = epoch + 1;
                report.epochs = options_.epochs;
                report.step = s + 1;
                report.stepsPerEpoch = stepsPerEpoch;
                report.globalStep = globalStep_;
                report.totalSteps = totalSteps;
                report.loss = r.loss;
                report.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
                report.learningRate = lr;
                const auto done = static_cast<double>(globalStep_ - startStep);
                report.samplesPerSecond = elapsed > 0 ? done * static_cast<double>(B) / elapsed : 0;
                report.etaSeconds = done > 0 ? elapsed / done * static_cast<double>(totalSteps - globalStep_) : 0;
                if (!events.onStep(report)) {
                    if (next.valid()) next.wait();
                    result.stopped = true;
                    return result;
                }
            }
            if (options_.maxSteps > 0 && globalStep_ >= options_.maxSteps) {
                if (next.valid()) next.wait();
                result.stopped = true;
                return result;
            }
        }
        EpochReport report;
        report.epoch = epoch + 1;
        report.loss = lossSum / static_cast<double>(stepsPerEpoch);
        report.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
        if (validation.size() > 0) {
            Evaluation e = evaluate(graph_, weights_, validation);
            if (!e.error.empty()) {
                result.error = e.error;
                return result;
            }
            report.validationAccuracy = e.accuracy();
        }
        epochsDone_ = epoch + 1;
        lastGood = weights_;
        if (!options_.checkpoint.empty())
            if (std::string e = writeCheckpoint(); !e.empty()) {
                result.error = e;
                return result;
            }
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epochStarted).count();
        result.epochs.push_back(report);
        if (events.onEpoch) events.onEpoch(report);
    }
    return result;
}

}  // namespace nw
