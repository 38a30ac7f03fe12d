// Core speed: validate + count the largest preset, and generated flat graphs of growing size (the
// time should grow linearly with the node count).
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>

#include "analysis.h"
#include "flatten.h"
#include "netw_format.h"

namespace {

nw::Document loadPreset(const std::string& name) {
    nw::LoadResult r = nw::loadNetw(std::string(NETWRIGHT_SOURCE_DIR) + "/presets/" + name + ".netw");
    if (!r.document) throw std::runtime_error("cannot load preset " + name);
    return std::move(*r.document);
}

void validateAndCount(benchmark::State& state, const nw::Document& doc) {
    size_t layers = 0;
    for (auto _ : state) {
        nw::FlatGraph flat = nw::flatten(doc);
        nw::Analysis analysis = nw::analyze(flat);
        if (analysis.errorCount() != 0) state.SkipWithError("the graph has errors");
        layers = flat.nodes.size();
        benchmark::DoNotOptimize(analysis.totals.macs);
    }
    state.counters["layers"] = static_cast<double>(layers);
    state.counters["layers/s"] = benchmark::Counter(static_cast<double>(layers), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ValidateAndCountResNet152(benchmark::State& state) {
    static const nw::Document doc = loadPreset("resnet152");
    validateAndCount(state, doc);
}
BENCHMARK(BM_ValidateAndCountResNet152)->Unit(benchmark::kMicrosecond);

void BM_LoadResNet152File(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(loadPreset("resnet152"));
}
BENCHMARK(BM_LoadResNet152File)->Unit(benchmark::kMicrosecond);

// A flat network of `layers` nodes without modules: residual units of conv → BN → ReLU → add, the
// shape of what a user might wire by hand at scale.
nw::Document generated(int64_t layers) {
    nw::Document doc;
    doc.name = "generated";
    auto& g = doc.graph;
    g.nodes.push_back({.id = "input", .kind = "Input", .attrs = {{"channels", int64_t{16}}, {"height", int64_t{32}}, {"width", int64_t{32}}}});
    std::string last = "input";
    for (int64_t i = 0; static_cast<int64_t>(g.nodes.size()) + 4 <= layers; ++i) {
        std::string p = "u" + std::to_string(i) + ".";
        g.nodes.push_back({.id = p + "conv", .kind = "Conv2d",
                           .attrs = {{"out_channels", int64_t{16}}, {"kernel_size", int64_t{3}}, {"padding", int64_t{1}}}});
        g.nodes.push_back({.id = p + "bn", .kind = "BatchNorm2d"});
        g.nodes.push_back({.id = p + "relu", .kind = "ReLU"});
        g.nodes.push_back({.id = p + "add", .kind = "Add"});
        g.edges.push_back({.from = last, .to = p + "conv"});
        g.edges.push_back({.from = p + "conv", .to = p + "bn"});
        g.edges.push_back({.from = p + "bn", .to = p + "relu"});
        g.edges.push_back({.from = p + "relu", .to = p + "add", .toPort = "in0"});
        g.edges.push_back({.from = last, .to = p + "add", .toPort = "in1"});
        last = p + "add";
    }
    return doc;
}

void BM_ValidateAndCountGenerated(benchmark::State& state) {
    const nw::Document doc = generated(state.range(0));
    validateAndCount(state, doc);
    state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_ValidateAndCountGenerated)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->Complexity();

// The two halves separately, to see which one grows faster than the node count.
void BM_FlattenGenerated(benchmark::State& state) {
    const nw::Document doc = generated(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(nw::flatten(doc).nodes.size());
}
BENCHMARK(BM_FlattenGenerated)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_AnalyzeGenerated(benchmark::State& state) {
    const nw::FlatGraph flat = nw::flatten(generated(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(nw::analyze(flat).totals.macs);
}
BENCHMARK(BM_AnalyzeGenerated)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

