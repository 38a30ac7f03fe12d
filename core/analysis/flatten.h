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
    bool operator==(const PortRef&) const = default;
};

// One expanded module instance: provenance for the layers inside it.
struct FlatInstance {
    std::string name;    // its flat name: "layer1.0"
    std::string node;    // its node's id in the graph that holds it: "layer1"
    std::string module;  // the module it instantiates: "BasicBlock"
    int copy = -1;       // which copy of a repeated node (0 … N-1), else -1
    int parent = -1;     // the instance around it (an index into FlatGraph::instances), -1 at the top level
};

struct FlatNode {
    std::string name;
    const LayerKind* kind = nullptr;
    std::vector<AttrValue> attrs;  // in the order of kind->attrs, defaults filled in
    std::vector<std::string> inputPorts;
    std::vector<PortRef> inputs;  // one per input port
    std::string origin;           // the id of the top-level node it came from
    std::string node;             // its node's id in the graph that holds it (a module body, or the document)
    int copy = -1;                // which copy of a repeated layer node, else -1
    int instance = -1;            // the module instance it is in (FlatGraph::instances), -1 at the top level
    bool attrsValid = true;       // false: an attribute was rejected (already reported)
    NodeAttrs view() const { return {*kind, attrs}; }
};

// One step of a flat node's path through the document: node `node` of the graph of `module`
// ("" = the document's own graph), copy `copy` of it when it repeats.
struct PathStep {
    std::string module, node;
    int copy = -1;
    bool operator==(const PathStep&) const = default;
};

struct FlatGraph {
    std::vector<FlatNode> nodes;
    std::vector<FlatInstance> instances;  // in expansion order: an instance comes before those inside it
    std::vector<Diagnostic> diagnostics;
    int find(const std::string& name) const;
    // The first Input node (the one a dataset or an image feeds), or −1.
    int firstInput() const;
    // Where flat node `index` came from, outermost first: the top-level node, the module-body nodes
    // of the instances around it, and last its own node.
    std::vector<PathStep> path(int index) const;
    // The node of module `module`'s body that flat node `index` belongs to in instance `instance`
    // (an instance of that module): its own node, or the body node of the instance around it; empty
    // when it is not inside that instance.
    std::string bodyNodeIn(int index, int instance) const;
    // Whether `other` computes the same: the same layers by name, kind and attributes, wired alike
    // (where they came from, and positions, do not matter). Trained weights and runs stay valid
    // across an edit that keeps this.
    bool computesAs(const FlatGraph& other) const;
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
