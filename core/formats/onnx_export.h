// Document → ONNX: each layer becomes the ONNX operators that compute it (one, or a few for kinds ONNX
// has no single operator for), its weights the initializers under their Netwright names, and each
// node's name carries its module path the way a PyTorch export writes it ("/layer1/layer1.0/conv1/Conv"),
// so the importer recovers the modules again. docs/formats.md lists the translation.
#pragma once
#include <string>
#include <vector>

#include "analysis.h"
#include "tensor_io.h"

namespace nw {

struct OnnxExportOptions {
    int opset = 17;              // 13 … 17
    bool foldBatchNorm = false;  // batch norms after a convolution folded into its weights and bias
};

struct OnnxModel {
    std::string bytes;                // the serialized ModelProto; empty when `errors` says why not
    std::vector<std::string> errors;  // each names the node and the cause
    std::vector<std::string> notes;   // what the export changed (folds), for the user to see
    int64_t nodes = 0, initializers = 0;
};

// `weights` holds a tensor for every weight of the analysed graph (checkWeights is empty); the batch
// dimension of inputs and outputs is left symbolic ("N").
OnnxModel buildOnnx(const std::string& name, const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights,
                    const OnnxExportOptions& options = {});

}  // namespace nw
