#include "optimizer.h"

#include <cmath>
#include <numbers>

namespace nw {

std::optional<OptimizerKind> parseOptimizer(const std::string& name) {
    if (name == "sgd") return OptimizerKind::Sgd;
    if (name == "adam") return OptimizerKind::Adam;
    if (name == "adamw") return OptimizerKind::AdamW;
    return std::nullopt;
}

std::optional<ScheduleKind> parseSchedule(const std::string& name) {
    if (name == "constant") return ScheduleKind::Constant;
    if (name == "cosine") return ScheduleKind::Cosine;
    if (name == "step") return ScheduleKind::Step;
    return std::nullopt;
}

double scheduleFactor(const Schedule& s, int64_t step, int64_t stepsPerEpoch, int64_t epochs) {
    const double warm =
        s.warmupSteps > 0 ? std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(s.warmupSteps)) : 1.0;
    const int64_t total = std::max<int64_t>(stepsPerEpoch * epochs, 1);
    switch (s.kind) {
        case ScheduleKind::Cosine:
            return warm * 0.5 *
                   (1 + std::cos(std::numbers::pi * static_cast<double>(step) / static_cast<double>(total)));
        case ScheduleKind::Step: {
            const int64_t period = std::max<int64_t>(stepsPerEpoch * std::max<int64_t>(epochs / 3, 1), 1);
            const int64_t drops = step / period;  // whole periods passed
            return warm * std::pow(0.1, static_cast<double>(drops));
        }
        case ScheduleKind::Constant: break;
    }
    return warm;
}

// Per element, in float as PyTorch's CPU kernels, in the order of their formulas:
//   SGD:   g = ∇ + λw; b = μb + g (b = g at the first step); g = g + μb (Nesterov) or b; w −= lr·g
//   Adam:  g = ∇ + λw; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
//          w −= lr/(1−β₁ᵗ) · m / (√v / √(1−β₂ᵗ) + ε)
//   AdamW: w −= lr·λ·w first, then Adam with λ = 0.
void Optimizer::step(TensorMap& weights, const TensorMap& gradients, double lr) {
    ++steps_;
    const OptimizerOptions& o = options_;
    const auto t = static_cast<double>(steps_);
    const double correction1 = 1 - std::pow(o.beta1, t), correction2 = 1 - std::pow(o.beta2, t);
    for (const auto& [name, grad] : gradients) {
        auto it = weights.find(name);
        if (it == weights.end()) continue;
        Tensor& w = it->second;
        const int64_t n = w.numel();
        float* wp = w.ptr();
        const float* gp = grad.ptr();
        const auto decay = static_cast<float>(o.weightDecay);
        if (o.kind == OptimizerKind::Sgd) {
            if (o.momentum == 0) {
                for (int64_t i = 0; i < n; ++i) wp[i] -= static_cast<float>(lr) * (gp[i] + decay * wp[i]);
                continue;
            }
            auto [buf, fresh] = first_.try_emplace(name, Tensor(w.shape));
            float* bp = buf->second.ptr();
            const auto mu = static_cast<float>(o.momentum);
            for (int64_t i = 0; i < n; ++i) {
                const float g = gp[i] + decay * wp[i];
                bp[i] = fresh ? g : mu * bp[i] + g;
                wp[i] -= static_cast<float>(lr) * (o.nesterov ? g + mu * bp[i] : bp[i]);
            }
            continue;
        }
        float* m = first_.try_emplace(name, Tensor(w.shape)).first->second.ptr();
        float* v = second_.try_emplace(name, Tensor(w.shape)).first->second.ptr();
        const auto b1 = static_cast<float>(o.beta1), b2 = static_cast<float>(o.beta2);
        const bool decoupled = o.kind == OptimizerKind::AdamW;
        const auto stepSize = static_cast<float>(lr / correction1);
        const auto root2 = static_cast<float>(std::sqrt(correction2));
        for (int64_t i = 0; i < n; ++i) {
            if (decoupled) wp[i] *= static_cast<float>(1 - lr * o.weightDecay);
            const float g = decoupled ? gp[i] : gp[i] + decay * wp[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            wp[i] -= stepSize * m[i] / (std::sqrt(v[i]) / root2 + static_cast<float>(o.eps));
        }
    }
}

TensorMap Optimizer::state() const {
    TensorMap out;
    const bool adam = options_.kind != OptimizerKind::Sgd;
    for (const auto& [name, t] : first_) out.emplace(name + (adam ? ".exp_avg" : ".momentum"), t);
    for (const auto& [name, t] : second_) out.emplace(name + ".exp_avg_sq", t);
    Tensor count({1});
    count.data[0] = static_cast<float>(steps_);
    out.emplace("step", std::move(count));
    return out;
}

std::string Optimizer::restore(const TensorMap& state) {
    first_.clear();
    second_.clear();
    steps_ = 0;
    for (const auto& entry : state) {
        const std::string& key = entry.first;
        const Tensor& t = entry.second;
        auto ends = [&](std::string_view suffix) {
            return key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
        };
        if (key == "step" && t.numel() == 1) steps_ = static_cast<int64_t>(t.data[0]);
        else if (ends(".exp_avg_sq")) second_.emplace(key.substr(0, key.size() - 11), t);
        else if (ends(".exp_avg")) first_.emplace(key.substr(0, key.size() - 8), t);
        else if (ends(".momentum")) first_.emplace(key.substr(0, key.size() - 9), t);
        else return "unexpected optimizer state '" + key + "'";
    }
    return {};
}

}  // namespace nw
