#include "helpers.h"

#include "report.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace nw::test {

std::string Analyzed::allDiagnostics() const { return diagnosticsText(analysis.diagnostics); }

Analyzed analyzeDocument(Document doc, const AnalyzeOptions& options) {
    Analyzed a{std::move(doc), {}, {}};
    a.flat = flatten(a.doc);
    a.analysis = analyze(a.flat, options);
    return a;
}

Analyzed analyzeText(const std::string& body, const AnalyzeOptions& options) {
    std::string text = R"({"format": "netwright", "version": 1, "name": "test", )" + body + "}";
    LoadResult r = parseNetw(text);
    if (!r.document) throw std::runtime_error("test document does not load: " + diagnosticsText(r.errors));
    return analyzeDocument(std::move(*r.document), options);
}

std::string presetPath(const std::string& name) {
    return std::string(NETWRIGHT_SOURCE_DIR) + "/presets/" + name + ".netw";
}

Document loadPreset(const std::string& name) {
    LoadResult r = loadNetw(presetPath(name));
    if (!r.document) throw std::runtime_error(diagnosticsText(r.errors));
    return std::move(*r.document);
}

Analyzed analyzePreset(const std::string& name, const AnalyzeOptions& options) {
    return analyzeDocument(loadPreset(name), options);
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/nw_test-XXXXXX";
    path = mkdtemp(tmpl);
}

Tensor randomTensor(const Shape& s, std::mt19937& rng) {
    Tensor t(s);
    std::normal_distribution<float> normal;
    for (float& v : t.data) v = normal(rng);
    return t;
}

float maxRelDiff(const Tensor& a, const Tensor& b) {
    float scale = 1e-12f, diff = 0;
    for (size_t i = 0; i < a.data.size(); ++i) {
        scale = std::max(scale, std::abs(b.data[i]));
        diff = std::max(diff, std::abs(a.data[i] - b.data[i]));
    }
    return diff / scale;
}

}  // namespace nw::test
