// A chain of `n` layers (Input, then ReLUs) without positions: the scale case for layout and the
// window (the hardening issue's 10k- and 100k-node chains).
#pragma once
#include <string>

#include "graph.h"

inline nw::Document chainDocument(int n) {
    nw::Document doc;
    doc.name = "chain of " + std::to_string(n);
    doc.graph.nodes.push_back(
        nw::Node{.id = "in",
                 .kind = "Input",
                 .attrs = {{"channels", int64_t{8}}, {"height", int64_t{8}}, {"width", int64_t{8}}}});
    for (int i = 1; i < n; ++i) {
        doc.graph.nodes.push_back(nw::Node{.id = "r" + std::to_string(i), .kind = "ReLU"});
        doc.graph.edges.push_back(
            nw::Edge{.from = doc.graph.nodes[static_cast<size_t>(i) - 1].id, .to = doc.graph.nodes.back().id});
    }
    return doc;
}
