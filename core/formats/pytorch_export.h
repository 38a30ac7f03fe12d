// Document → a ready-to-train PyTorch project: model.py written as a person would write it (one
// nn.Module class per module definition, its parameters as constructor arguments, attribute names
// equal to Netwright's weight names so load_state_dict is strict), train.py (one process or
// torchrun/DistributedDataParallel) and a README. docs/formats.md says how each kind is written.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "analysis.h"
#include "graph.h"
#include "tensor_io.h"

namespace nw {

struct PytorchProject {
    std::vector<std::pair<std::string, std::string>> files;  // file name → contents
    std::vector<std::string> errors;                         // each names the node and the cause
};

// The project for `doc` (analysed as `graph`/`analysis`); `source` names the file in comments.
PytorchProject buildPytorchProject(const Document& doc, const FlatGraph& graph, const Analysis& analysis,
                                   const std::string& source);

// Writes the project's files into `dir` (made if missing) and `weights` as dir/weights.safetensors,
// each atomically; returns the error, or empty.
std::string writePytorchProject(const std::string& dir, const PytorchProject& project, const TensorMap& weights,
                                bool replace = false);
// The files of `project` (and weights.safetensors) that `dir` already holds: what writing it would
// replace, which writePytorchProject refuses unless `replace`.
std::vector<std::string> existingProjectFiles(const std::string& dir, const PytorchProject& project);

// A Netwright formula ("stride != 1 || in_channels != planes * 4", "a ? b : c") as Python
// ("stride != 1 or in_channels != planes * 4", "(b if a else c)"); empty when it does not parse.
std::string pythonExpression(const std::string& formula);

}  // namespace nw
