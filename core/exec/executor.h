// Runs a valid, analysed graph on a float32 tensor (inference mode). Weights are looked up by
// hierarchical name (`layer1.0.conv1.weight`), as in safetensors files.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analysis.h"
#include "tensor_io.h"
#include "weights.h"

namespace nw {

// What running a graph takes, in bytes, known before anything is allocated: the weights, the packed
// copies the plan makes of convolution kernels (at most twice their size: Winograd's 16/9 and the
// panels' padding), and the peak of live activations plus the largest kernel scratch.
struct MemoryNeeds {
    int64_t weights = 0, packed = 0, activations = 0;
    int64_t total() const { return saturatingAdd(saturatingAdd(weights, packed), activations); }
};
MemoryNeeds memoryNeeds(const FlatGraph& graph, const Analysis& analysis, const std::vector<std::string>& keep = {});
// Why `needs` does not fit `budget` (the figures, and how to raise the budget), or empty.
std::string checkMemory(const MemoryNeeds& needs, int64_t budget);

// The node whose output is the network's: what feeds the first Output node in run order, else the
// last node run; -1 for an empty graph.
int networkOutput(const FlatGraph& graph, const Analysis& analysis);

struct RunOptions {
    std::vector<std::string> keep;  // nodes whose outputs to return (feature maps, --dump)
    // Refuse plans that need more (weights, packed weights, activations and scratch together).
    int64_t memoryBudgetBytes = defaultMemoryBudget();
    bool profile = false;  // time every node
    // Called after each node with (nodes done, nodes in all); returning false stops the run, which
    // then reports "cancelled". For progress bars and a Cancel button.
    std::function<bool(size_t, size_t)> onNode;
};

struct RunResult {
    std::string error;  // empty on success
    Tensor output;      // what feeds the first Output node (else the last node run)
    std::string outputNode;
    TensorMap kept;                                      // the outputs of RunOptions::keep, by node name
    std::vector<std::pair<std::string, double>> nodeMs;  // per node in run order, when profiling
    int64_t peakActivationBytes = 0;                     // largest sum of live activations during the run
};

// What running a graph needs, decided once per input shape: the weight checks, buffer lifetimes,
// batch-norm folded into the preceding conv and ReLUs fused into it. The graph, analysis and weights
// must outlive the plan; run it as often as needed.
class Plan {
public:
    Plan(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights, const RunOptions& options = {});
    // Keeps the weights, folding batch-norm into them in place of copies: the least memory.
    Plan(const FlatGraph& graph, const Analysis& analysis, TensorMap&& weights, const RunOptions& options = {});
    ~Plan();
    Plan(Plan&&) noexcept;
    const std::string& error() const;  // why the plan cannot run, or empty
    int64_t peakActivationBytes() const;
    RunResult run(const TensorMap& inputs) const;  // one tensor per Input node, by name
    RunResult run(const Tensor& input) const;      // a graph with one Input node

private:
    struct State;
    std::unique_ptr<State> state_;
    void prepare();
    RunResult runViews(const std::map<std::string, const Tensor*>& inputs) const;  // inputs read in place
};

// Plans and runs once. Runs `graph` (analysed for the inputs' shapes) on one tensor per Input node, by node name. Frees
// each activation after its last consumer, so peak memory is the weights plus the live activations.
RunResult run(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights, const TensorMap& inputs,
              const RunOptions& options = {});
// The same for a graph with one Input node.
RunResult run(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights, const Tensor& input,
              const RunOptions& options = {});

}  // namespace nw
