// ONNX models in (opsets 7–17), on libonnx's generated protobuf classes and its checker: each node
// becomes a layer kind, the initializers its weights (keeping their names), and the module scopes a
// PyTorch export writes into node names ("/layer1/layer1.0/conv1/Conv") become module definitions
// with instances, identical blocks sharing one. docs/formats.md lists the operators.
#pragma once
#include <string_view>

#include "importer.h"

namespace nw {

const Importer& onnxImporter();
// The model in `bytes`; `name` (its file) names it in messages. Never throws.
Imported parseOnnx(std::string_view bytes, const std::string& name);

}  // namespace nw
