// Side-by-side comparison of two designs: two files, or two top-level nodes (module instances) of one.
#pragma once
#include <string>
#include <vector>

#include "analysis.h"

namespace nw {

struct Selection {
    std::string label;
    const FlatGraph* graph = nullptr;
    const Analysis* analysis = nullptr;
    std::string origin;                // a top-level node id, or empty for the whole graph
    std::vector<std::string> origins;  // several top-level nodes (a selection); used when `origin` is empty
};

struct CompareRow {
    std::string name;    // name within the selection ("conv1", "reduce")
    int a = -1, b = -1;  // flat node indices, -1 when the side lacks the layer
};

struct Comparison {
    Selection a, b;
    std::vector<CompareRow> rows;
    Counts totalA, totalB;
};

Comparison compare(const Selection& a, const Selection& b);
std::string compareTable(const Comparison& c);
std::string compareJson(const Comparison& c);

}  // namespace nw
