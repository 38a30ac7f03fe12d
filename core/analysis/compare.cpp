#include "compare.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "report.h"

namespace nw {

namespace {

// The nodes of a selection in topological order, with their names relative to it.
std::vector<std::pair<std::string, int>> members(const Selection& s) {
    std::vector<std::pair<std::string, int>> out;
    for (int i : s.analysis->order) {
        const FlatNode& n = s.graph->nodes[static_cast<size_t>(i)];
        if (s.origin.empty()) {
            if (s.origins.empty() || std::find(s.origins.begin(), s.origins.end(), n.origin) != s.origins.end())
                out.push_back({n.name, i});
        } else if (n.origin == s.origin)
            out.push_back({n.name == s.origin ? n.name : n.name.substr(s.origin.size() + 1), i});
    }
    return out;
}

std::string ratio(int64_t a, int64_t b) {
    if (b == 0) return a == 0 ? "=" : "—";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g×", static_cast<double>(a) / static_cast<double>(b));
    return buf;
}

}  // namespace

Comparison compare(const Selection& a, const Selection& b) {
    Comparison c{a, b, {}, {}, {}};
    auto ma = members(a), mb = members(b);
    std::unordered_map<std::string, int> inB;
    for (const auto& [name, i] : mb) inB.emplace(name, i);
    std::unordered_map<std::string, bool> used;
    for (const auto& [name, i] : ma) {
        auto it = inB.find(name);
        c.rows.push_back({name, i, it == inB.end() ? -1 : it->second});
        if (it != inB.end()) used[name] = true;
        c.totalA += a.analysis->nodes[static_cast<size_t>(i)].counts;
    }
    for (const auto& [name, i] : mb) {
        if (!used.count(name)) c.rows.push_back({name, -1, i});
        c.totalB += b.analysis->nodes[static_cast<size_t>(i)].counts;
    }
    return c;
}

std::string compareTable(const Comparison& c) {
    TextTable t(
        {"Layer", "A: kind", "A: output", "A: params", "A: MACs", "B: kind", "B: output", "B: params", "B: MACs"});
    auto cells = [](const Selection& s, int i, std::vector<std::string>& row) {
        if (i < 0) {
            row.insert(row.end(), {"—", "", "", ""});
            return;
        }
        const FlatNode& n = s.graph->nodes[static_cast<size_t>(i)];
        const NodeResult& r = s.analysis->nodes[static_cast<size_t>(i)];
        row.push_back(n.kind->name);
        row.push_back(r.known && !r.outputs.empty() ? formatShape(r.outputs[0]) : "?");
        row.push_back(formatInt(r.counts.params));
        row.push_back(formatInt(r.counts.macs));
    };
    for (const auto& row : c.rows) {
        std::vector<std::string> cellsRow{row.name};
        cells(c.a, row.a, cellsRow);
        cells(c.b, row.b, cellsRow);
        t.add(std::move(cellsRow));
    }
    std::string out = "A = " + c.a.label + "\nB = " + c.b.label + "\n\n" + t.render() + "\n";
    TextTable totals({"Total", "A", "B", "B − A", "B / A"});
    auto line = [&](const char* what, int64_t x, int64_t y) {
        totals.add({what, formatInt(x), formatInt(y), formatInt(y - x), ratio(y, x)});
    };
    line("params", c.totalA.params, c.totalB.params);
    line("trainable", c.totalA.trainable, c.totalB.trainable);
    line("weights (conv/dense kernels)", c.totalA.weights, c.totalB.weights);
    line("MACs", c.totalA.macs, c.totalB.macs);
    line("activation bytes", c.totalA.activation_bytes, c.totalB.activation_bytes);
    return out + totals.render();
}

std::string compareJson(const Comparison& c) {
    using Json = nlohmann::ordered_json;
    auto side = [](const Selection& s, int i) -> Json {
        if (i < 0) return nullptr;
        return layerJson(*s.graph, *s.analysis, i);
    };
    Json j;
    j["a"] = c.a.label;
    j["b"] = c.b.label;
    Json rows = Json::array();
    for (const auto& r : c.rows) rows.push_back({{"name", r.name}, {"a", side(c.a, r.a)}, {"b", side(c.b, r.b)}});
    j["rows"] = rows;
    j["totals"] = {{"a", countsJson(c.totalA)}, {"b", countsJson(c.totalB)}};
    return j.dump(2) + "\n";
}

}  // namespace nw
