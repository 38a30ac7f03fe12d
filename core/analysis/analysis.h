// Validation, shape inference and accounting over a flat graph, in topological order. A graph
// with errors still gets the shapes and counts of every node that can be computed.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flatten.h"

namespace nw {

struct Counts {
    int64_t params = 0, trainable = 0, non_trainable = 0;
    int64_t weights = 0;           // conv and dense kernels only (no biases, no batch-norm)
    int64_t macs = 0;              // per sample
    int64_t activation_bytes = 0;  // float32 outputs for the analysed batch
    bool operator==(const Counts&) const = default;
    Counts& operator+=(const Counts& o);  // saturates rather than wrapping
};

struct NodeResult {
    bool known = false;          // output shapes were computed
    std::vector<Shape> outputs;  // one per output port
    Shape factors;               // C×H×W folded into a flat output, for messages
    Counts counts;
    std::vector<WeightSpec> weights;
    Field field;
};

struct AnalyzeOptions {
    std::optional<Shape> inputShape;                        // overrides every Input node (N,C,H,W or N,F)
    std::map<std::string, Shape, std::less<>> inputShapes;  // per Input node name; wins over inputShape
    int64_t maxTensorElements = int64_t{1} << 34;           // per tensor; more is an error, not a plan
};

struct Analysis {
    std::vector<NodeResult> nodes;        // parallel to FlatGraph::nodes
    std::vector<int> order;               // topological order of the nodes not on cycles
    std::vector<Diagnostic> diagnostics;  // flattening's, then analysis's
    Counts totals;
    Shape inputShape, outputShape;
    size_t errorCount() const;
};

Analysis analyze(const FlatGraph& graph, const AnalyzeOptions& options = {});

// The shape of node `idx`'s first input as the analysis found it; null for a node without inputs (or
// whose input has no shape).
const Shape* firstInputShape(const FlatGraph& graph, const Analysis& analysis, size_t idx);
// Its kind's parsed attributes (LayerKind::parseParams) for that input: what its kernels are handed.
std::unique_ptr<KernelParams> parseNodeParams(const FlatGraph& graph, const Analysis& analysis, size_t idx);

}  // namespace nw
