// One run of a network on inputs, from document to predictions: input preparation (an image as the
// Input node says, or tensors), the memory check, weights (a file, given tensors, or seeded PyTorch
// defaults), the plan, and the top classes with their labels. The CLI's `run` and the window's Run
// panel are both thin over it, so they give the same answer for the same network and image.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis.h"
#include "executor.h"
#include "graph.h"
#include "image.h"
#include "tensor_io.h"

namespace nw {

// The folder holding presets/, resources/ (labels) and samples/: NETWRIGHT_DATA when set, else the
// source tree the program was built from.
std::string dataDir();

struct Prediction {
    int64_t index = 0;
    std::string label;      // from the Output node's labels file, else empty
    float value = 0;        // the network's output
    float probability = 0;  // softmax of the outputs when they are not already a distribution
};

struct InferenceRequest {
    std::string image;                         // an image file, prepared as the Input node says; or
    TensorMap inputs;                          // tensors by Input node id ("" for the only one); 3-D means one sample
    std::string weightsPath;                   // a safetensors file; else
    std::shared_ptr<const TensorMap> weights;  // tensors already loaded; else seeded defaults
    uint64_t seed = 0;
    int top = 5;                   // classes per sample of an N×K output
    bool keepNodeOutputs = false;  // keep each top-level node's output (its last layer's), by node id
    RunOptions run;                // kept layers, profiling, memory budget, progress and cancel
};

struct InferenceResult {
    std::string error;                    // empty on success
    std::vector<std::string> notes;       // what the weights file left out on purpose (WeightsResult::notes)
    std::vector<Diagnostic> diagnostics;  // the network's problems when it could not run
    FlatGraph flat;
    Analysis analysis;  // for the inputs' shapes
    Tensor output;
    std::string outputNode;
    std::vector<std::vector<Prediction>> top;   // per sample, best first
    bool softmaxApplied = false;                // probabilities are the softmax of the outputs
    std::map<std::string, Tensor> kept;         // by layer name (RunOptions::keep)
    std::map<std::string, Tensor> nodeOutputs;  // by top-level node id (keepNodeOutputs)
    std::vector<std::pair<std::string, double>> nodeMs;
    double totalMs = 0;  // weights, plan and run
    int64_t peakActivationBytes = 0;
};

// An image prepared for the network's Input node: its size, channels and normalisation; `input`
// receives that node. An error when there is none or the image cannot be read.
ImageResult prepareImage(const FlatGraph& flat, const std::string& path, const FlatNode** input = nullptr);

// Runs `doc` (whose relative weights path, if any, is not read: give weightsPath). Never throws:
// out-of-memory and other failures come back as `error`.
InferenceResult infer(const Document& doc, const InferenceRequest& request);

// The top `k` of each sample of an N×K output, with labels and probabilities.
std::vector<std::vector<Prediction>> topClasses(const Tensor& output, int k, const std::vector<std::string>& labels,
                                                bool& softmaxApplied);

}  // namespace nw
