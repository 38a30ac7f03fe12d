// Expands a document's module instances into one flat graph of layer nodes with hierarchical
// names ("layer1.0.conv1"): what the analysis, the executor and weight files see.
#pragma once
#include <string>
#include <vector>

#include "diagnostic.h"
#include "expr.h"
#include "graph.h"
#include "layer_kind.h"

namespace nw {

struct PortRef {
    static constexpr int kUnconnected = -1;
    static constexpr int kReported = -2;  // unconnected, and the flattener already said why
    int node = kUnconnected;
    int port = 0;
};

struct FlatNode {
    std::string name;
    const LayerKind* kind = nullptr;
    std::vector<AttrValue> attrs;  // in the order of kind->attrs, defaults filled in
    std::vector<std::string> inputPorts;
    std::vector<PortRef> inputs;   // one per input port
    std::string origin;            // the id of the top-level node it came from
    bool attrsValid = true;        // false: an attribute was rejected (already reported)
    NodeAttrs view() const { return {*kind, attrs}; }
};

struct FlatGraph {
    std::vector<FlatNode> nodes;
    std::vector<Diagnostic> diagnostics;
    int find(const std::string& name) const;
};

struct FlattenOptions {
    size_t maxNodes = 2'000'000;  // a bound on expansion, so nested repeats cannot exhaust memory
    int maxDepth = 64;            // module nesting
};

FlatGraph flatten(const Document& doc, const FlattenOptions& options = {});

// The attribute values of a layer node from raw (possibly formula) values; reports problems with
// the node's name. Used by the flattener and by editors.
std::vector<AttrValue> resolveAttrs(const LayerKind& kind, const RawAttrs& raw, const Env* env, const std::string& node,
                                    std::vector<Diagnostic>& diagnostics, bool& valid);

}  // namespace nw
