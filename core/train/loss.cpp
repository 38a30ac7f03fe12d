#include "loss.h"

#include <algorithm>
#include <cmath>

namespace nw {

std::string labelProblem(const std::vector<int64_t>& labels, int64_t classes) {
    for (size_t n = 0; n < labels.size(); ++n)
        if (labels[n] < 0 || labels[n] >= classes)
            return "label " + std::to_string(labels[n]) + " of sample " + std::to_string(n) +
                   " is outside the network's " + std::to_string(classes) + " output classes (0 to " +
                   std::to_string(classes - 1) + ")";
    return {};
}

LossResult softmaxCrossEntropy(const Tensor& scores, const std::vector<int64_t>& labels, double labelSmoothing,
                               bool probabilities, int64_t meanOver) {
    LossResult r;
    if (scores.shape.size() != 2) {
        r.error = "the network's output is " + formatShape(scores.shape) +
                  "; a classification loss needs N × classes (end the network in a Linear or a global pooling)";
        return r;
    }
    const int64_t N = scores.shape[0], C = scores.shape[1];
    if (static_cast<int64_t>(labels.size()) != N) {
        r.error = std::to_string(labels.size()) + " labels for a batch of " + std::to_string(N);
        return r;
    }
    if (std::string why = labelProblem(labels, C); !why.empty()) {
        r.error = why;
        return r;
    }
    r.gradient = Tensor(scores.shape);
    const auto mean = static_cast<double>(meanOver > 0 ? meanOver : N);
    const double off = labelSmoothing / static_cast<double>(C), on = 1 - labelSmoothing + off;
    double total = 0;
    std::vector<double> p(static_cast<size_t>(C));
    for (int64_t n = 0; n < N; ++n) {
        const float* z = scores.ptr() + n * C;
        const int64_t label = labels[static_cast<size_t>(n)];
        // log p_c: from the logits by log-sum-exp about the maximum; from probabilities directly.
        const double m = *std::max_element(z, z + C);
        double sum = 0;
        if (!probabilities)
            for (int64_t c = 0; c < C; ++c) sum += std::exp(z[c] - m);
        double loss = 0;
        for (int64_t c = 0; c < C; ++c) {
            const auto at = static_cast<size_t>(c);
            const double logP = probabilities ? std::log(std::max<double>(z[c], 1e-12)) : z[c] - m - std::log(sum);
            p[at] = probabilities ? z[c] : std::exp(logP);
            loss -= (c == label ? on : off) * logP;
        }
        total += loss;
        if (std::max_element(z, z + C) - z == label) ++r.correct;
        for (int64_t c = 0; c < C; ++c)
            r.gradient.ptr()[n * C + c] =
                static_cast<float>((p[static_cast<size_t>(c)] - (c == label ? on : off)) / mean);
    }
    r.loss = total / mean;
    return r;
}

}  // namespace nw
