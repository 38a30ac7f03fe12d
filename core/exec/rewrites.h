// Inference-time rewrites of a flat graph, decided once per plan from what the kinds declare
// (LayerKind::affine and foldAffine, epilogue, fusesRelu, fusesResidual). Each rewrite is a pass;
// a folded or fused node runs inside its producer's kernel and takes over the producer's buffer.
#pragma once
#include <deque>
#include <map>
#include <vector>

#include "analysis.h"
#include "tensor_io.h"

namespace nw {

struct Rewrites {
    explicit Rewrites(size_t nodes = 0)
        : alias(nodes, -1), aliasFrom(nodes, -1), relu(nodes, 0), residual(nodes, -1), stealResidual(nodes, 0) {}
    std::vector<int> alias;           // per node: the node whose output it takes over, or -1
    std::vector<int> aliasFrom;       // per aliased node: the input it takes the buffer from
    std::vector<char> relu;           // per node: the kernel applies a fused ReLU
    std::vector<int> residual;        // per producer: the node whose output it adds its result to, or -1
    std::vector<char> stealResidual;  // per producer: the residual's buffer may become the output
    std::map<size_t, std::vector<const Tensor*>> weights;  // per producer: its kernels, then the bias, affine folded in
    std::deque<Tensor> storage;  // folded tensors the plan made (a deque keeps their addresses)

    // The node that computes `i`'s output: its producer when `i` was folded or fused, else `i`.
    size_t root(size_t i) const { return alias[i] >= 0 ? static_cast<size_t>(alias[i]) : i; }
    void fuse(size_t node, size_t into, size_t from) {
        alias[node] = static_cast<int>(into);
        aliasFrom[node] = static_cast<int>(from);
    }
};

// What the passes read: the graph, its analysis, how many nodes read each output and which outputs
// must stay their own (kept for the caller).
struct RewriteInput {
    const FlatGraph& graph;
    const Analysis& analysis;
    const std::vector<int>& consumers;
    const std::vector<char>& keep;
    std::vector<size_t> position;  // per node: its place in the run order (filled by rewriteInput)
    bool onlyFeeds(size_t producer) const { return consumers[producer] == 1 && !keep[producer]; }
};
RewriteInput rewriteInput(const FlatGraph& graph, const Analysis& analysis, const std::vector<int>& consumers,
                          const std::vector<char>& keep);

// A per-channel affine (batch norm) whose input comes only from a producer with foldAffine is taken
// into the producer's last kernel and bias. `owned`: the plan's own copy of the weights, scaled in
// place (else the folded kernels are copies in Rewrites::storage).
void foldAffinePass(const RewriteInput& in, const TensorMap& weights, TensorMap* owned, Rewrites& r);
// A two-input residual add whose one input comes only from a producer with fusesResidual, computed
// after the other input: the producer adds its result onto the other input (its buffer taken over
// when nothing later reads it).
void fuseResidualPass(const RewriteInput& in, Rewrites& r);
// A ReLU whose input comes only from a producer with fusesRelu (perhaps through folds and adds
// already fused into it) runs in the producer's epilogue.
void fuseReluPass(const RewriteInput& in, Rewrites& r);

// All three, in that order (a conv → BN → add → ReLU block becomes one kernel).
Rewrites planRewrites(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights, TensorMap* owned,
                      const std::vector<int>& consumers, const std::vector<char>& keep);

}  // namespace nw
