// Shared by the core tests: build documents from .netw text, analyse them, find diagnostics.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "analysis.h"
#include "netw_format.h"
#include "tensor.h"

namespace nw::test {

// A fresh directory per test, removed afterwards.
struct TempDir {
    std::filesystem::path path;
    TempDir();
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Normal(0, 1) values of the given shape.
Tensor randomTensor(const Shape& s, std::mt19937& rng);
// max|a − b| / max|b|: how far a kernel's result is from its reference's.
float maxRelDiff(const Tensor& a, const Tensor& b);

struct Analyzed {
    Document doc;
    FlatGraph flat;
    Analysis analysis;

    const NodeResult& node(const std::string& name) const {
        int i = flat.find(name);
        if (i < 0) throw std::runtime_error("no node " + name);
        return analysis.nodes[static_cast<size_t>(i)];
    }
    Shape shape(const std::string& name) const {
        const NodeResult& r = node(name);
        return r.known ? r.outputs.at(0) : Shape{};
    }
    // The first diagnostic whose message contains `text`, or nullptr.
    const Diagnostic* find(const std::string& text) const {
        for (const auto& d : analysis.diagnostics)
            if (d.message.find(text) != std::string::npos) return &d;
        return nullptr;
    }
    std::string allDiagnostics() const;
};

// Wraps nodes/edges JSON (and optional modules) in a .netw document and analyses it.
Analyzed analyzeText(const std::string& body, const AnalyzeOptions& options = {});
Analyzed analyzeDocument(Document doc, const AnalyzeOptions& options = {});
Analyzed analyzePreset(const std::string& name, const AnalyzeOptions& options = {});
Document loadPreset(const std::string& name);
std::string presetPath(const std::string& name);

}  // namespace nw::test
