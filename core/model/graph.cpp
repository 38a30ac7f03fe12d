#include "graph.h"

namespace nw {

const Node* Graph::find(const std::string& id) const {
    for (const auto& n : nodes)
        if (n.id == id) return &n;
    return nullptr;
}

Node* Graph::find(const std::string& id) {
    for (auto& n : nodes)
        if (n.id == id) return &n;
    return nullptr;
}

const ModuleDef* Document::findModule(const std::string& name) const {
    for (const auto& m : modules)
        if (m.name == name) return &m;
    return nullptr;
}

}  // namespace nw
