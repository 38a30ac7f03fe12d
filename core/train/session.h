// A training run, as the CLI's `train` and the window's Train panel both drive it: epochs of
// shuffled batches (prepared on a worker thread while the previous step computes), backpropagation,
// the optimizer and its schedule, an accuracy per epoch on held-out data, a checkpoint written
// atomically after each epoch that a later run resumes from, and a stop on a non-finite loss that
// keeps the last good weights. Deterministic: the same seed and thread count give the same weights.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analysis.h"
#include "data.h"
#include "optimizer.h"
#include "tensor_io.h"
#include "weights.h"

namespace nw {

struct TrainOptions {
    int64_t epochs = 5, batch = 64;
    int64_t maxSteps = 0;  // stop after this many steps in all (0: every epoch)
    OptimizerOptions optimizer;
    Schedule schedule;
    double labelSmoothing = 0;
    Augment augment;
    uint64_t seed = 0;
    std::string checkpoint;  // written after each epoch (weights, optimizer state, progress); empty: none
    // Refused up front when the weights, their gradients, the optimizer's state and a batch's
    // activations and gradients need more.
    int64_t memoryBudgetBytes = defaultMemoryBudget();
};

struct StepReport {
    int64_t epoch = 0, epochs = 0;                                        // from 1
    int64_t step = 0, stepsPerEpoch = 0, globalStep = 0, totalSteps = 0;  // step from 1
    double loss = 0, accuracy = 0;  // this step's loss; the epoch's running training accuracy
    double learningRate = 0, samplesPerSecond = 0, etaSeconds = 0;
};

struct EpochReport {
    int64_t epoch = 0;
    double loss = 0, accuracy = 0;   // means over the epoch's training steps
    double validationAccuracy = -1;  // on the held-out data; −1 without any
    double seconds = 0;
};

struct Evaluation {
    std::string error;
    int64_t samples = 0, correct = 0;
    std::vector<std::vector<int64_t>> confusion;             // [true class][predicted class]
    std::vector<std::pair<int64_t, int64_t>> misclassified;  // (sample, predicted class)
    double accuracy() const { return samples ? static_cast<double>(correct) / static_cast<double>(samples) : 0; }
};

// The network (inference mode, batches of `batch`) on every sample of `data`.
Evaluation evaluate(const FlatGraph& graph, const TensorMap& weights, const Dataset& data, int64_t batch = 256);

struct TrainEvents {
    std::function<bool(const StepReport&)> onStep;  // after each step; false stops the run
    std::function<void(const EpochReport&)> onEpoch;
};

struct TrainResult {
    std::string error;     // a failure, or why the run stopped early (a non-finite loss)
    bool stopped = false;  // onStep asked to stop
    std::vector<EpochReport> epochs;
};

class Trainer {
public:
    // `graph` must outlive the trainer; `weights` are the starting point (trained in place).
    Trainer(const FlatGraph& graph, TensorMap weights, TrainOptions options);
    ~Trainer();
    const std::string& error() const { return error_; }  // why this graph cannot be trained, or empty
    // Restores weights, optimizer state and progress from a checkpoint written by a run of this network.
    std::string resume(const std::string& checkpoint);
    // From the epoch after the last one done to options.epochs, on `train`; accuracy each epoch on
    // `validation` (may be empty).
    TrainResult run(const Dataset& train, const Dataset& validation, const TrainEvents& events = {});
    const TensorMap& weights() const { return weights_; }
    int64_t epochsDone() const { return epochsDone_; }
    const TrainOptions& options() const { return options_; }

private:
    struct Sized;  // the analysis and backprop for one batch size
    const Sized* sized(int64_t batch);
    std::string writeCheckpoint() const;

    const FlatGraph& graph_;
    TensorMap weights_;
    TrainOptions options_;
    Optimizer optimizer_;
    std::string error_;
    int input_ = -1;
    int64_t classes_ = 0;
    int64_t epochsDone_ = 0, globalStep_ = 0;
    std::vector<std::pair<int64_t, std::unique_ptr<Sized>>> sized_;
};

}  // namespace nw
