// Training mode on a flat graph: the forward pass that keeps what the backward needs, the loss,
// and the backward pass in reverse order, each node's gradients computed by its kind's `backward`.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "analysis.h"
#include "buffer_pool.h"
#include "tensor_io.h"

namespace nw {

struct BackpropOptions {
    double labelSmoothing = 0;
    bool inputGradient = false;  // also ∂loss/∂input (saliency; checks against other frameworks)
    uint64_t seed = 0;           // dropout masks: per node and step from this
    bool split = true;           // a large batch may run as two halves side by side (see Backprop)
};

struct BackpropResult {
    std::string error;
    double loss = 0;      // mean cross-entropy over the batch
    int64_t correct = 0;  // samples classified right (training-mode forward)
    Tensor inputGradient;
};

// A batch of at least kSplitBatch samples, in a network none of whose kinds mixes the batch's samples
// (batch norm does), runs as two halves side by side, a thread each with its kernels single-threaded:
// a small network's kernels spend more on their threads' barriers than on arithmetic. The halves'
// losses and gradients are their shares of the whole batch's, added; the split depends on the batch
// alone, so the result does not depend on the number of threads.
class Backprop {
public:
    static constexpr int64_t kSplitBatch = 32;
    // `analysis`: of `graph` for the training batch's shape. Both must outlive this.
    Backprop(const FlatGraph& graph, const Analysis& analysis);
    ~Backprop();
    const std::string& error() const { return error_; }  // why it cannot train this graph, or empty
    // One forward and backward pass: `gradients` is set to ∂loss/∂w for every trainable weight, by
    // weight name; batch norms' running statistics in `weights` move as in training. Not const: the
    // activations' and gradients' buffers are kept for the next step (fresh pages cost more than a
    // small net's arithmetic).
    BackpropResult run(TensorMap& weights, const Tensor& input, const std::vector<int64_t>& labels,
                       TensorMap& gradients, const BackpropOptions& options = {});
    // The bytes a training step keeps at its peak beyond the weights: every activation, the saved
    // state, the live gradients.
    int64_t activationBytes() const { return activationBytes_; }

private:
    struct Half;
    Backprop(const FlatGraph& graph, const Analysis& analysis, bool whole);
    // On a batch and weights run() has checked; a half's loss and gradients are its share of meanOver samples.
    BackpropResult runWhole(TensorMap& weights, const Tensor& input, const std::vector<int64_t>& labels,
                            TensorMap& gradients, const BackpropOptions& options, int64_t meanOver);
    BackpropResult runHalves(TensorMap& weights, const Tensor& input, const std::vector<int64_t>& labels,
                             TensorMap& gradients, const BackpropOptions& options);

    const FlatGraph& graph_;
    const Analysis& analysis_;
    std::string error_;
    int input_ = -1, output_ = -1;  // the Input node; the node whose output is the network's
    int64_t activationBytes_ = 0;
    std::vector<std::vector<std::string>> weightNames_;     // per node, in its kind's weight order
    std::vector<std::unique_ptr<KernelParams>> params_;     // per node: its kind's parsed attributes
    std::vector<std::pair<std::string, Shape>> trainable_;  // the gradients' names and shapes
    std::vector<Tensor> values_;                            // per node, during a step
    BufferPool pool_;                                       // buffers kept between steps
    std::vector<std::unique_ptr<Half>> halves_;             // two when the batch is split, else none
};

}  // namespace nw
