// Optimizers with PyTorch's update rules (torch.optim.SGD, Adam, AdamW) and the learning-rate
// schedules the exported train.py uses, so a recipe means the same in both.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "tensor_io.h"

namespace nw {

enum class OptimizerKind { Sgd, Adam, AdamW };
enum class ScheduleKind { Constant, Cosine, Step };

struct OptimizerOptions {
    OptimizerKind kind = OptimizerKind::Sgd;
    double lr = 0.01;
    double momentum = 0.9;                          // SGD
    bool nesterov = false;                          // SGD
    double weightDecay = 0;                         // SGD and Adam: L2 added to the gradient; AdamW: decoupled
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam, AdamW
};
std::optional<OptimizerKind> parseOptimizer(const std::string& name);  // "sgd", "adam", "adamw"
std::optional<ScheduleKind> parseSchedule(const std::string& name);    // "constant", "cosine", "step"

struct Schedule {
    ScheduleKind kind = ScheduleKind::Constant;
    int64_t warmupSteps = 0;  // the rate rises linearly over these steps
};
// The factor on the base rate at `step` (from 0) of `total` steps, `epochs` of `stepsPerEpoch` each:
// linear warm-up × (constant 1 | half a cosine to 0 over the run | 0.1 every third of the epochs).
double scheduleFactor(const Schedule& schedule, int64_t step, int64_t stepsPerEpoch, int64_t epochs);

// The state an optimizer keeps per weight (momentum buffers, Adam's moments) and its step count;
// by weight name, so a checkpoint can hold it as tensors.
class Optimizer {
public:
    explicit Optimizer(OptimizerOptions options) : options_(options) {}
    // One update of every weight that has a gradient, at learning rate `lr`.
    void step(TensorMap& weights, const TensorMap& gradients, double lr);
    const OptimizerOptions& options() const { return options_; }
    int64_t steps() const { return steps_; }
    // The state as tensors ("<weight>.momentum", "<weight>.exp_avg", "<weight>.exp_avg_sq", "step"), and back.
    TensorMap state() const;
    std::string restore(const TensorMap& state);

private:
    OptimizerOptions options_;
    int64_t steps_ = 0;
    TensorMap first_, second_;  // momentum buffer or exp_avg; exp_avg_sq
};

}  // namespace nw
