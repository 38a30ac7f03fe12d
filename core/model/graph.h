// The document a user edits and a .netw file stores: a graph of layer nodes and module instances,
// plus the module definitions it uses.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attr.h"

namespace nw {

struct Point {
    double x = 0, y = 0;
    bool operator==(const Point&) const = default;
};

// Attribute values as written: a string beginning with '=' is a formula over module parameters.
using RawAttrs = std::map<std::string, AttrValue, std::less<>>;

struct Node {
    std::string id;    // unique within its graph; may contain dots (torchvision's "features.0")
    std::string kind;  // a layer kind from the registry, or a module name
    RawAttrs attrs;
    std::optional<Point> pos;
    std::string when;      // condition formula; false bypasses the node (input passes through)
    int64_t repeat = 0;    // module instances: 0 = once, unnumbered; N = N copies in sequence, named id.0 … id.N-1
    RawAttrs repeatAttrs;  // attribute overrides for copies 1 … N-1
    bool operator==(const Node&) const = default;
};

// Ports may be left empty in files: the node's only (or next free) input, its first output.
struct Edge {
    std::string from, fromPort, to, toPort;
    bool operator==(const Edge&) const = default;
};

struct Graph {
    std::vector<Node> nodes;
    std::vector<Edge> edges;
    const Node* find(const std::string& id) const;
    Node* find(const std::string& id);
    bool operator==(const Graph&) const = default;
};

struct ModuleOutput {
    std::string name, node, port;
    bool operator==(const ModuleOutput&) const = default;
};

// A reusable subgraph. Body edges may start at an input name; parameters are defaults that
// instances override.
struct ModuleDef {
    std::string name, doc;
    std::vector<std::pair<std::string, AttrValue>> params;
    std::vector<std::string> inputs;
    std::vector<ModuleOutput> outputs;
    Graph body;
    bool operator==(const ModuleDef&) const = default;
};

struct Document {
    std::string name, description;
    std::string weights;  // optional path to a safetensors file, relative to the document
    Graph graph;
    std::vector<ModuleDef> modules;
    const ModuleDef* findModule(const std::string& name) const;
    bool operator==(const Document&) const = default;
};

}  // namespace nw
