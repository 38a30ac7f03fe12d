#include "report.h"

#include <map>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace nw {

using Json = nlohmann::ordered_json;

// Display width of UTF-8 text (× and — are one column each).
static size_t columns(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

static bool numeric(const std::string& s) {
    return !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-') &&
           s.find_first_not_of("0123456789,.-×/ KMGiB%") == std::string::npos;
}

std::string TextTable::render() const {
    std::vector<size_t> width(header_.size(), 0);
    for (size_t i = 0; i < header_.size(); ++i) width[i] = columns(header_[i]);
    for (const auto& r : rows_)
        for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], columns(r[i]));
    size_t total = 0;
    for (size_t w : width) total += w + 2;
    std::string rule(total, '-');
    auto line = [&](const std::vector<std::string>& r, bool head) {
        std::string out;
        for (size_t i = 0; i < width.size(); ++i) {
            std::string cell = i < r.size() ? r[i] : "";
            std::string pad(width[i] - columns(cell), ' ');
            out += (!head && numeric(cell)) ? pad + cell : cell + pad;
            out += i + 1 < width.size() ? "  " : "";
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out + "\n";
    };
    std::string out = line(header_, true) + rule + "\n";
    for (const auto& r : rows_) out += r.empty() ? rule + "\n" : line(r, false);
    return out;
}

std::string summaryTable(const std::string& name, const FlatGraph& g, const Analysis& a) {
    TextTable t({"Layer", "Kind", "Output shape", "Params", "MACs", "Memory", "Receptive field"});
    for (int i : a.order) {
        const FlatNode& n = g.nodes[static_cast<size_t>(i)];
        const NodeResult& r = a.nodes[static_cast<size_t>(i)];
        if (n.kind->outputs.empty()) continue;  // Output markers add nothing to read
        t.add({n.name, n.kind->name, r.known ? formatShape(r.outputs[0]) : "?", formatInt(r.counts.params),
               formatInt(r.counts.macs), formatBytes(r.counts.activation_bytes), r.known ? r.field.text() : "?"});
    }
    const Counts& c = a.totals;
    std::string out = name.empty() ? "" : name + "\n";
    out += t.render();
    out += "Input " + formatShape(a.inputShape) + " → output " +
           (a.outputShape.empty() ? "?" : formatShape(a.outputShape)) + "\n";
    out += "Params: " + formatInt(c.params) + " (trainable " + formatInt(c.trainable) + ", non-trainable " +
           formatInt(c.non_trainable) + ")\n";
    char flops[64];
    std::snprintf(flops, sizeof flops, "%.3g", 2.0 * static_cast<double>(c.macs));
    out += "MACs: " + formatInt(c.macs) + " per sample (" + flops + " FLOPs)\n";
    out += "Activation memory: " + formatBytes(c.activation_bytes) + " (float32, all layer outputs, batch " +
           std::to_string(a.inputShape.empty() ? 1 : a.inputShape[0]) + ")\n";
    out += "Parameter memory: " + formatBytes(c.params * 4) + " (float32)\n";
    if (!a.diagnostics.empty()) out += "\n" + diagnosticsText(a.diagnostics);
    return out;
}

std::string diagnosticsText(const std::vector<Diagnostic>& diags) {
    std::string out;
    for (const auto& d : diags) {
        out += severityName(d.severity);
        if (!d.node.empty()) out += ": " + d.node + (d.port.empty() ? "" : "." + d.port);
        out += ": " + d.message + "\n";
    }
    return out;
}

Json countsJson(const Counts& c) {
    return {{"params", c.params},
            {"trainable_params", c.trainable},
            {"non_trainable_params", c.non_trainable},
            {"weights", c.weights},
            {"macs", c.macs},
            {"activation_bytes", c.activation_bytes}};
}

Json layerJson(const FlatGraph& g, const Analysis& a, int i) {
    const FlatNode& n = g.nodes[static_cast<size_t>(i)];
    const NodeResult& r = a.nodes[static_cast<size_t>(i)];
    Json j;
    j["name"] = n.name;
    j["kind"] = n.kind->name;
    j["origin"] = n.origin;
    j["output_shape"] = r.known && !r.outputs.empty() ? Json(r.outputs[0]) : Json(nullptr);
    j["params"] = r.counts.params;
    j["trainable_params"] = r.counts.trainable;
    j["non_trainable_params"] = r.counts.non_trainable;
    j["macs"] = r.counts.macs;
    j["activation_bytes"] = r.counts.activation_bytes;
    if (r.known) {
        if (r.field.global) j["receptive_field"] = "all";
        else
            j["receptive_field"] = {{"size", {r.field.size_h, r.field.size_w}},
                                    {"stride", {r.field.jump_h, r.field.jump_w}}};
    }
    Json weights = Json::array();
    for (const auto& w : r.weights)
        weights.push_back({{"name", n.name + "." + w.name}, {"shape", w.shape}, {"trainable", w.trainable()}});
    j["weights"] = weights;
    return j;
}

Json diagnosticsJson(const std::vector<Diagnostic>& diags) {
    Json out = Json::array();
    for (const auto& d : diags)
        out.push_back(
            {{"severity", severityName(d.severity)}, {"node", d.node}, {"port", d.port}, {"message", d.message}});
    return out;
}

std::string summaryJson(const std::string& name, const FlatGraph& g, const Analysis& a) {
    Json j;
    j["name"] = name;
    j["input_shape"] = a.inputShape;
    j["output_shape"] = a.outputShape;
    j["totals"] = countsJson(a.totals);
    Json layers = Json::array();
    for (int i : a.order) layers.push_back(layerJson(g, a, i));
    j["layers"] = layers;
    j["diagnostics"] = diagnosticsJson(a.diagnostics);
    return j.dump(2) + "\n";
}

std::vector<SummaryGroup> groupLayers(const Document& doc, const FlatGraph& g, const Analysis& a, int depth) {
    std::vector<SummaryGroup> groups;
    std::map<std::string, size_t> at;
    for (int i : a.order) {
        const FlatNode& n = g.nodes[static_cast<size_t>(i)];
        if (n.kind->outputs.empty()) continue;
        // The path below the top-level node: its origin, then the name's further parts.
        std::string key = n.origin.empty() ? n.name : n.origin;
        std::string rest = n.name.size() > key.size() ? n.name.substr(key.size() + 1) : "";
        for (int d = 1; d < depth && !rest.empty(); ++d) {
            const size_t dot = rest.find('.');
            key += "." + rest.substr(0, dot);
            rest = dot == std::string::npos ? "" : rest.substr(dot + 1);
        }
        auto [it, fresh] = at.emplace(key, groups.size());
        if (fresh) groups.push_back({key, "", {}, {}, 0});
        SummaryGroup& group = groups[it->second];
        const NodeResult& r = a.nodes[static_cast<size_t>(i)];
        group.counts += r.counts;
        ++group.layers;
        if (r.known && !r.outputs.empty()) group.output = r.outputs[0];
        group.kind = group.layers == 1 && key == n.name ? n.kind->name : "";
    }
    for (SummaryGroup& group : groups) {
        if (!group.kind.empty()) continue;
        const size_t dot = group.name.find('.');
        const Node* top = doc.graph.find(group.name);
        if (top && doc.findModule(top->kind))  // a module instance, possibly repeated
            group.kind = top->kind + (top->repeat > 1 ? " ×" + std::to_string(top->repeat) : "");
        else if (const Node* repeated = dot == std::string::npos ? nullptr : doc.graph.find(group.name.substr(0, dot));
                 repeated && repeated->repeat > 1 && doc.findModule(repeated->kind) &&
                 group.name.find('.', dot + 1) == std::string::npos)
            group.kind = repeated->kind;  // one copy of a repeated instance (layer1.0)
        else group.kind = std::to_string(group.layers) + " layers";
    }
    return groups;
}

std::string groupedTable(const std::string& name, const Document& doc, const FlatGraph& g, const Analysis& a,
                         int depth) {
    TextTable t({"Layer", "Kind", "Output shape", "Params", "MACs", "Memory", "Layers"});
    const std::vector<SummaryGroup> groups = groupLayers(doc, g, a, depth);
    int layers = 0;
    for (const SummaryGroup& s : groups) {
        layers += s.layers;
        t.add({s.name, s.kind, s.output.empty() ? "?" : formatShape(s.output), formatInt(s.counts.params),
               formatInt(s.counts.macs), formatBytes(s.counts.activation_bytes), std::to_string(s.layers)});
    }
    t.separator();
    t.add({"Total", "", a.outputShape.empty() ? "?" : formatShape(a.outputShape), formatInt(a.totals.params),
           formatInt(a.totals.macs), formatBytes(a.totals.activation_bytes), std::to_string(layers)});
    std::string out = name.empty() ? "" : name + "\n";
    out += t.render();
    if (!a.diagnostics.empty()) out += "\n" + diagnosticsText(a.diagnostics);
    return out;
}

std::string groupedJson(const std::string& name, const Document& doc, const FlatGraph& g, const Analysis& a,
                        int depth) {
    Json j;
    j["name"] = name;
    j["depth"] = depth;
    j["input_shape"] = a.inputShape;
    j["output_shape"] = a.outputShape;
    j["totals"] = countsJson(a.totals);
    Json rows = Json::array();
    for (const SummaryGroup& s : groupLayers(doc, g, a, depth)) {
        Json r = countsJson(s.counts);
        r["name"] = s.name;
        r["kind"] = s.kind;
        r["output_shape"] = s.output.empty() ? Json(nullptr) : Json(s.output);
        r["layers"] = s.layers;
        rows.push_back(r);
    }
    j["layers"] = rows;
    j["diagnostics"] = diagnosticsJson(a.diagnostics);
    return j.dump(2) + "\n";
}

}  // namespace nw
