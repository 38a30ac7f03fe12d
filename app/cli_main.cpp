// netwright-cli: the core, headless. Exit 0 on success, 1 on invalid input, 2 on usage errors.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis.h"
#include "compare.h"
#include "layout.h"
#include "netw_format.h"
#include "registry.h"
#include "report.h"

namespace {

const char* kUsage = R"(usage: netwright-cli <command> [options]

commands:
  summary FILE [--input-shape N,C,H,W]   per-layer table (shapes, params, MACs, memory, receptive field) and totals
  validate FILE [--input-shape N,C,H,W]  diagnostics only
  layout FILE -o OUT.netw [--direction TB|LR]
                                         Graphviz positions written into a copy
  compare A.netw B.netw                  per-layer and total differences of two files
  compare FILE --nodes X Y               ... of two top-level nodes (module instances) of one file
  kinds                                  the layer kinds and their attributes

every command takes --json for machine-readable output.
exit status: 0 success, 1 invalid input (diagnostics printed), 2 usage error.
)";

struct Args {
    std::string command;
    std::vector<std::string> positional;
    bool json = false;
    std::string inputShape, output, direction = "TB";
    std::vector<std::string> nodes;
};

int usage(const std::string& why) {
    std::fprintf(stderr, "netwright-cli: %s\n\n%s", why.c_str(), kUsage);
    return 2;
}

std::optional<nw::Shape> parseShape(const std::string& text) {
    nw::Shape s;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        s.push_back(std::stoll(part));
        if (s.back() <= 0) return std::nullopt;
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    if (s.size() != 4 && s.size() != 2) return std::nullopt;
    return s;
}

struct Loaded {
    nw::Document doc;
    nw::FlatGraph flat;
    nw::Analysis analysis;
};

// Loads and analyses FILE; prints load errors and returns nullopt when it cannot be read.
std::optional<Loaded> load(const std::string& path, const nw::AnalyzeOptions& options, bool json) {
    nw::LoadResult r = nw::loadNetw(path);
    if (!r.document) {
        if (json) std::cout << nlohmann::ordered_json{{"diagnostics", nw::diagnosticsJson(r.errors)}}.dump(2) << "\n";
        else std::cerr << nw::diagnosticsText(r.errors);
        return std::nullopt;
    }
    Loaded l{std::move(*r.document), {}, {}};
    l.flat = nw::flatten(l.doc);
    l.analysis = nw::analyze(l.flat, options);
    return l;
}

int cmdSummary(const Args& a, bool diagnosticsOnly) {
    if (a.positional.size() != 1) return usage(a.command + " takes one FILE");
    nw::AnalyzeOptions options;
    if (!a.inputShape.empty()) {
        options.inputShape = parseShape(a.inputShape);
        if (!options.inputShape) return usage("--input-shape wants N,C,H,W or N,F with positive integers");
    }
    auto l = load(a.positional[0], options, a.json);
    if (!l) return 1;
    std::string name = l->doc.name.empty() ? a.positional[0] : l->doc.name;
    bool ok = l->analysis.errorCount() == 0;
    if (diagnosticsOnly) {
        if (a.json)
            std::cout << nlohmann::ordered_json{{"valid", ok}, {"diagnostics", nw::diagnosticsJson(l->analysis.diagnostics)}}.dump(2) << "\n";
        else if (ok && l->analysis.diagnostics.empty()) std::cout << name << ": valid\n";
        else std::cout << nw::diagnosticsText(l->analysis.diagnostics);
    } else {
        std::cout << (a.json ? nw::summaryJson(name, l->flat, l->analysis) : nw::summaryTable(name, l->flat, l->analysis));
    }
    return ok ? 0 : 1;
}

int cmdLayout(const Args& a) {
    if (a.positional.size() != 1 || a.output.empty()) return usage("layout takes FILE -o OUT.netw");
    if (a.direction != "TB" && a.direction != "LR") return usage("--direction is TB or LR");
    nw::LoadResult r = nw::loadNetw(a.positional[0]);
    if (!r.document) {
        std::cerr << nw::diagnosticsText(r.errors);
        return 1;
    }
    nw::LayoutOptions options;
    options.direction = a.direction == "TB" ? nw::LayoutDirection::TopToBottom : nw::LayoutDirection::LeftToRight;
    nw::LayoutResult lr = nw::layoutDocument(*r.document, options);
    if (std::string err = nw::saveNetwAtomic(*r.document, a.output); !err.empty()) {
        std::cerr << "netwright-cli: " << err << "\n";
        return 1;
    }
    if (a.json)
        std::cout << nlohmann::ordered_json{{"output", a.output}, {"nodes", r.document->graph.nodes.size()},
                                            {"graphviz", lr.usedGraphviz}, {"warning", lr.warning}}
                         .dump(2)
                  << "\n";
    else
        std::cout << "laid out " << r.document->graph.nodes.size() << " nodes with "
                  << (lr.usedGraphviz ? "Graphviz dot" : "the layered fallback (" + lr.warning + ")") << " → " << a.output << "\n";
    return 0;
}

int cmdCompare(const Args& a) {
    bool byNodes = !a.nodes.empty();
    if (byNodes ? (a.positional.size() != 1 || a.nodes.size() != 2) : a.positional.size() != 2)
        return usage("compare takes A.netw B.netw, or FILE --nodes X Y");
    auto la = load(a.positional[0], {}, a.json);
    if (!la) return 1;
    std::optional<Loaded> lb;
    if (!byNodes && !(lb = load(a.positional[1], {}, a.json))) return 1;
    const Loaded& second = byNodes ? *la : *lb;
    nw::Selection sa{byNodes ? a.nodes[0] : a.positional[0], &la->flat, &la->analysis, byNodes ? a.nodes[0] : ""};
    nw::Selection sb{byNodes ? a.nodes[1] : a.positional[1], &second.flat, &second.analysis, byNodes ? a.nodes[1] : ""};
    if (byNodes)
        for (const auto& n : a.nodes)
            if (!la->doc.graph.find(n)) {
                std::cerr << "netwright-cli: " << a.positional[0] << " has no top-level node '" << n << "'\n";
                return 1;
            }
    nw::Comparison c = nw::compare(sa, sb);
    std::cout << (a.json ? nw::compareJson(c) : nw::compareTable(c));
    return la->analysis.errorCount() + second.analysis.errorCount() == 0 ? 0 : 1;
}

int cmdKinds(const Args& a) {
    const auto& kinds = nw::Registry::instance().kinds();
    if (a.json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& k : kinds) {
            nlohmann::ordered_json attrs = nlohmann::ordered_json::array();
            for (const auto& s : k.attrs)
                attrs.push_back({{"name", s.name}, {"type", nw::attrTypeName(s.type)}, {"default", nw::formatAttrValue(s.def)}, {"doc", s.doc}});
            out.push_back({{"kind", k.name}, {"category", k.category}, {"doc", k.doc}, {"inputs", k.inputs},
                           {"variadic", k.variadic}, {"outputs", k.outputs}, {"attrs", attrs}});
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    for (const auto& k : kinds) {
        std::cout << k.name << " (" << k.category << "): " << k.doc << "\n";
        for (const auto& s : k.attrs)
            std::cout << "    " << s.name << " : " << nw::attrTypeName(s.type) << " = " << nw::formatAttrValue(s.def) << "  — " << s.doc << "\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    if (argc < 2) return usage("no command given");
    a.command = argv[1];
    if (a.command == "--help" || a.command == "-h" || a.command == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        if (arg == "--json") a.json = true;
        else if (arg == "--input-shape") {
            if (!value(a.inputShape)) return usage("--input-shape needs a value");
        } else if (arg == "-o" || arg == "--output") {
            if (!value(a.output)) return usage(arg + " needs a value");
        } else if (arg == "--direction") {
            if (!value(a.direction)) return usage("--direction needs TB or LR");
        } else if (arg == "--nodes") {
            while (i + 1 < argc && argv[i + 1][0] != '-') a.nodes.push_back(argv[++i]);
        } else if (arg.size() > 1 && arg[0] == '-') return usage("unknown option " + arg);
        else a.positional.push_back(arg);
    }
    try {
        if (a.command == "summary") return cmdSummary(a, false);
        if (a.command == "validate") return cmdSummary(a, true);
        if (a.command == "layout") return cmdLayout(a);
        if (a.command == "compare") return cmdCompare(a);
        if (a.command == "kinds") return cmdKinds(a);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "netwright-cli: internal error: %s\n", e.what());
        return 1;
    }
    return usage("unknown command '" + a.command + "'");
}
