// Losses: what training minimises, and its gradient with respect to the network's output.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tensor.h"

namespace nw {

struct LossResult {
    std::string error;    // a label outside the output's classes, named by its sample
    double loss = 0;      // the mean over the batch
    int64_t correct = 0;  // samples whose highest score is their label
    Tensor gradient;      // ∂loss/∂logits, N × C
};

// PyTorch's cross_entropy(logits, labels, label_smoothing=ε): the mean over the batch of
// −Σ_c q_c · log softmax(z)_c with q = (1 − ε)·one-hot + ε / C. `probabilities`: the scores are a
// softmax's output already (log taken, as NLLLoss on their log), and the gradient returned is with
// respect to that softmax's input, where it is the same p − q. `meanOver`: the batch the mean is
// over when these scores are part of one (0: these); the loss and gradient are then this part's share.
LossResult softmaxCrossEntropy(const Tensor& scores, const std::vector<int64_t>& labels, double labelSmoothing = 0,
                               bool probabilities = false, int64_t meanOver = 0);
// Why `labels` cannot be classes of an output of `classes` scores (naming the first bad sample), or empty.
std::string labelProblem(const std::vector<int64_t>& labels, int64_t classes);

}  // namespace nw
