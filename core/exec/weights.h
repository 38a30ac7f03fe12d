// A network's weights: what the graph needs (names and shapes from the analysis), checked against
// what a file holds before any data is read, initialised like PyTorch's defaults, and the memory
// they take, so a plan is refused before anything large is allocated.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis.h"
#include "tensor_io.h"

namespace nw {

// `layer1.0.conv1` + `weight` → `layer1.0.conv1.weight`, as in safetensors files and state_dicts.
std::string weightName(const FlatNode& node, const WeightSpec& spec);
// Whether every value is finite (no NaN, no ±∞).
bool allFinite(const Tensor& t);

// Every problem with a weight set, all at once: missing, unexpected and mis-shaped tensors by name
// and shape, and non-finite values. Empty when the weights fit the graph.
std::vector<std::string> checkWeights(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights);
// checkWeights without reading the values: for weights already checked, against a changed graph.
std::vector<std::string> weightShapeProblems(const FlatGraph& graph, const Analysis& analysis,
                                             const TensorMap& weights);

// Deterministic weights for any design: PyTorch's default initialisation (uniform ±1/√fan_in for conv
// and dense weights and biases; batch-norm γ = 1, β = 0, mean 0, variance 1), seeded per tensor name
// so adding a layer does not change the others.
TensorMap initWeights(const FlatGraph& graph, const Analysis& analysis, uint64_t seed = 0);

struct WeightsResult {
    TensorMap tensors;
    std::vector<std::string> problems;  // as checkWeights lists them; empty when the file fits
    std::string error;                  // the file cannot be read
    std::vector<std::string> notes;     // what was left out on purpose (PyTorch's batch counters)
};
// Reads a safetensors file for `graph`: its header is compared with the graph first (missing,
// unexpected, mis-shaped tensors, all listed, nothing read), then only the tensors the graph needs
// are read. PyTorch's `num_batches_tracked` counters are accepted and ignored.
WeightsResult loadWeights(const FlatGraph& graph, const Analysis& analysis, const std::string& path);

// Bytes of all the graph's weight tensors (float32).
int64_t weightBytes(const Analysis& analysis);

// How much memory may be used to run a network: NETWRIGHT_MEMORY_BUDGET ("16G", "512M", bytes) if set,
// else 80 % of the physical memory (or of the address-space limit, `ulimit -v`, if lower).
int64_t defaultMemoryBudget();
// "16G", "512MiB", "1.5g", "1000000": bytes; nullopt when it is not a size.
std::optional<int64_t> parseByteSize(const std::string& text);

}  // namespace nw
