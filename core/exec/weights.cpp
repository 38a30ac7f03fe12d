#include "weights.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <random>

namespace nw {

std::string weightName(const FlatNode& node, const WeightSpec& spec) { return node.name + "." + spec.name; }

// By the exponent bits, an integer OR-reduction that vectorises (std::isfinite in a loop does not).
bool allFinite(const Tensor& t) {
    uint32_t nonFinite = 0;
    for (float v : t.data)
        nonFinite |= static_cast<uint32_t>((std::bit_cast<uint32_t>(v) & 0x7f800000u) == 0x7f800000u);
    return nonFinite == 0;
}

namespace {

// Every weight the graph needs: name → shape.
std::map<std::string, Shape, std::less<>> neededWeights(const FlatGraph& graph, const Analysis& analysis) {
    std::map<std::string, Shape, std::less<>> out;
    for (size_t i = 0; i < graph.nodes.size(); ++i)
        for (const WeightSpec& spec : analysis.nodes[i].weights)
            out.emplace(weightName(graph.nodes[i], spec), spec.shape);
    return out;
}

// The problems of a set of (name, shape) pairs against what the graph needs, in graph order.
template <class Shapes>
std::vector<std::string> compareShapes(const FlatGraph& graph, const Analysis& analysis, const Shapes& have,
                                       const std::function<bool(const std::string&)>& ignored) {
    std::vector<std::string> problems, missing;
    for (size_t i = 0; i < graph.nodes.size(); ++i)
        for (const WeightSpec& spec : analysis.nodes[i].weights) {
            const std::string name = weightName(graph.nodes[i], spec);
            auto it = have.find(name);
            if (it == have.end()) missing.push_back("missing " + name + " " + formatShape(spec.shape));
            else if (it->second != spec.shape)
                problems.push_back(name + " has shape " + formatShape(it->second) + ", the graph needs " +
                                   formatShape(spec.shape));
        }
    problems.insert(problems.end(), missing.begin(), missing.end());
    const auto needed = neededWeights(graph, analysis);
    for (const auto& [name, shape] : have)
        if (!needed.count(name) && !ignored(name))
            problems.push_back("unexpected " + name + " " + formatShape(shape) + " (no such layer parameter)");
    return problems;
}

bool isBatchCounter(const std::string& name) {
    return name.ends_with(".num_batches_tracked") || name == "num_batches_tracked";
}

}  // namespace

std::vector<std::string> weightShapeProblems(const FlatGraph& graph, const Analysis& analysis,
                                             const TensorMap& weights) {
    std::map<std::string, Shape, std::less<>> shapes;
    for (const auto& [name, t] : weights) shapes.emplace(name, t.shape);
    return compareShapes(graph, analysis, shapes, [](const std::string&) { return false; });
}

std::vector<std::string> checkWeights(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights) {
    auto problems = weightShapeProblems(graph, analysis, weights);
    for (const auto& [name, shape] : neededWeights(graph, analysis))
        if (auto it = weights.find(name); it != weights.end() && it->second.shape == shape && !allFinite(it->second))
            problems.push_back(name + " contains NaN or infinite values");
    return problems;
}

WeightsResult loadWeights(const FlatGraph& graph, const Analysis& analysis, const std::string& path) {
    WeightsResult r;
    SafetensorsIndex index = indexSafetensors(path);
    if (!index.error.empty()) {
        r.error = index.error;
        return r;
    }
    std::map<std::string, Shape, std::less<>> shapes;
    for (const auto& [name, e] : index.entries) shapes.emplace(name, e.shape);
    r.problems = compareShapes(graph, analysis, shapes, isBatchCounter);
    if (!r.problems.empty()) return r;
    const auto needed = neededWeights(graph, analysis);
    TensorMapResult read =
        readSafetensors(path, [&](const std::string& name, const SafetensorsEntry&) { return needed.count(name) > 0; });
    if (!read.error.empty()) {
        r.error = read.error;
        return r;
    }
    r.tensors = std::move(read.tensors);
    for (const auto& [name, t] : r.tensors)
        if (!allFinite(t)) r.problems.push_back(name + " contains NaN or infinite values");
    size_t counters = 0;
    for (const auto& [name, e] : index.entries) counters += isBatchCounter(name);
    if (counters)
        r.notes.push_back(std::to_string(counters) +
                          " num_batches_tracked counter(s) ignored (batch norm's training step counts, not weights)");
    return r;
}

TensorMap initWeights(const FlatGraph& graph, const Analysis& analysis, uint64_t seed) {
    TensorMap out;
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        const auto& specs = analysis.nodes[i].weights;
        // Biases share the fan-in of their layer's (first) weight, as in PyTorch.
        int64_t fanIn = 1;
        for (const WeightSpec& s : specs)
            if (s.role == WeightRole::Weight) {
                fanIn = 1;
                for (size_t d = 1; d < s.shape.size(); ++d) fanIn *= s.shape[d];
                break;
            }
        for (const WeightSpec& spec : specs) {
            std::string name = weightName(graph.nodes[i], spec);
            Tensor t(spec.shape);
            std::mt19937_64 rng(seed ^ std::hash<std::string>{}(name));
            switch (spec.role) {
                case WeightRole::Weight:
                case WeightRole::Bias: {
                    int64_t fan = fanIn;
                    if (spec.role == WeightRole::Weight) {
                        fan = 1;
                        for (size_t d = 1; d < spec.shape.size(); ++d) fan *= spec.shape[d];
                    }
                    const float bound = 1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(fan, 1)));
                    std::uniform_real_distribution<float> u(-bound, bound);
                    for (float& v : t.data) v = u(rng);
                    break;
                }
                case WeightRole::NormAffine:
                case WeightRole::NormStatistic: {
                    const bool one = spec.name.ends_with("weight") || spec.name.ends_with("running_var");
                    std::fill(t.data.begin(), t.data.end(), one ? 1.0f : 0.0f);
                    break;
                }
            }
            out.emplace(std::move(name), std::move(t));
        }
    }
    return out;
}

int64_t weightBytes(const Analysis& analysis) {
    int64_t bytes = 0;
    for (const NodeResult& n : analysis.nodes)
        for (const WeightSpec& spec : n.weights)
            if (auto count = checkedProduct(spec.shape)) bytes = saturatingAdd(bytes, saturatingMul(*count, 4));
            else bytes = std::numeric_limits<int64_t>::max();
    return bytes;
}

std::optional<int64_t> parseByteSize(const std::string& text) {
    if (text.empty() || text.size() > 32) return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || !std::isfinite(value) || value <= 0) return std::nullopt;
    std::string unit(end);
    for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (unit.ends_with("ib")) unit.erase(unit.size() - 2);
    else if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();
    double scale = 1;
    if (unit == "" || unit == "b") scale = 1;
    else if (unit == "k") scale = 0x1p10;
    else if (unit == "m") scale = 0x1p20;
    else if (unit == "g") scale = 0x1p30;
    else if (unit == "t") scale = 0x1p40;
    else return std::nullopt;
    const double bytes = value * scale;
    if (bytes >= 0x1p62) return std::nullopt;
    return static_cast<int64_t>(bytes);
}

int64_t defaultMemoryBudget() {
    if (const char* env = std::getenv("NETWRIGHT_MEMORY_BUDGET"))
        if (auto bytes = parseByteSize(env)) return *bytes;
    double physical = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
    if (physical <= 0) physical = 0x1p33;  // unknown: 8 GiB
    struct rlimit limit {};
    if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        physical = std::min(physical, static_cast<double>(limit.rlim_cur));
    return static_cast<int64_t>(physical * 0.8);
}

}  // namespace nw
