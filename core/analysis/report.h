// Text and JSON renderings of an analysis: the CLI's output, and the summary the UI exports.
#pragma once
#include "files.h"  // formatBytes
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "analysis.h"

namespace nw {

// An aligned plain-text table; numeric-looking cells are right-aligned.
class TextTable {
public:
    explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    void separator() { rows_.push_back({}); }
    std::string render() const;

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

std::string summaryTable(const std::string& name, const FlatGraph& g, const Analysis& a);
std::string summaryJson(const std::string& name, const FlatGraph& g, const Analysis& a);

// Layers summed by the first `depth` parts of their path, as torchinfo's depth: at depth 1 a module
// instance is one row with its subtotal (`layer1`: Bottleneck ×3), at depth 2 its blocks
// (`layer1.0`), and so on; rows in the run order of their first layer. Output markers are left out.
struct SummaryGroup {
    std::string name, kind;  // kind: the layer's, or the module instance's (Bottleneck ×3), or "N layers"
    Shape output;            // of the group's last layer in run order
    Counts counts;
    int layers = 0;
};
std::vector<SummaryGroup> groupLayers(const Document& doc, const FlatGraph& g, const Analysis& a, int depth);
std::string groupedTable(const std::string& name, const Document& doc, const FlatGraph& g, const Analysis& a,
                         int depth);
std::string groupedJson(const std::string& name, const Document& doc, const FlatGraph& g, const Analysis& a, int depth);
std::string diagnosticsText(const std::vector<Diagnostic>& diags);

nlohmann::ordered_json layerJson(const FlatGraph& g, const Analysis& a, int node);
nlohmann::ordered_json countsJson(const Counts& c);
nlohmann::ordered_json diagnosticsJson(const std::vector<Diagnostic>& diags);

}  // namespace nw
