// Core speed: validate + count the largest preset, and generated flat graphs of growing size (the
// time should grow linearly with the node count).
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>

#include "analysis.h"
#include "executor.h"
#include "chain.h"
#include "flatten.h"
#include "layout.h"
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
    state.counters["layers/s"] =
        benchmark::Counter(static_cast<double>(layers), benchmark::Counter::kIsIterationInvariantRate);
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
    g.nodes.push_back({.id = "input",
                       .kind = "Input",
                       .attrs = {{"channels", int64_t{16}}, {"height", int64_t{32}}, {"width", int64_t{32}}}});
    std::string last = "input";
    for (int64_t i = 0; static_cast<int64_t>(g.nodes.size()) + 4 <= layers; ++i) {
        std::string p = "u" + std::to_string(i) + ".";
        g.nodes.push_back(
            {.id = p + "conv",
             .kind = "Conv2d",
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
BENCHMARK(BM_ValidateAndCountGenerated)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity();

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

// `netwright-cli layout` on a chain: Graphviz dot up to 2,500 nodes, the layered layout past it.
void BM_LayoutChain(benchmark::State& state) {
    const nw::Document chain = chainDocument(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        nw::Document doc = chain;
        nw::LayoutResult r = nw::layoutDocument(doc);
        benchmark::DoNotOptimize(r.centers.data());
    }
}
BENCHMARK(BM_LayoutChain)->Arg(2'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// One convolution layer as the executor runs it (plan built once: weights packed, buffers reused), at
// the shapes that dominate the presets, timed by the executor's per-node profile. Reports GFLOP/s
// (2 × MACs per second).
void BM_ConvLayer(benchmark::State& state, int64_t batch, int64_t channels, int64_t size, const std::string& kind,
                  const std::string& attrs) {
    nw::Document doc;
    doc.name = "one layer";
    doc.graph.nodes.push_back(
        {.id = "input", .kind = "Input", .attrs = {{"channels", channels}, {"height", size}, {"width", size}}});
    nw::LoadResult node = nw::parseNetw(R"({"format": "netwright", "version": 1, "name": "n", "nodes": [{"id": "conv",
        "kind": ")" + kind + R"(", "attrs": )" +
                                        attrs + "}]}");
    if (!node.document) return state.SkipWithError("bad layer");
    doc.graph.nodes.push_back(node.document->graph.nodes[0]);
    doc.graph.edges.push_back({.from = "input", .to = "conv"});
    const nw::FlatGraph flat = nw::flatten(doc);
    const nw::Analysis analysis = nw::analyze(flat, {.inputShape = nw::Shape{batch, channels, size, size}});
    if (analysis.errorCount() != 0) return state.SkipWithError("the layer has errors");
    nw::RunOptions options;
    options.profile = true;  // the layer's own time: not the input checks or copying its output out
    nw::Plan plan(flat, analysis, nw::initWeights(flat, analysis), options);
    const nw::Tensor x(nw::Shape{batch, channels, size, size});
    for (auto _ : state) {
        const nw::RunResult r = plan.run(x);
        for (const auto& [name, ms] : r.nodeMs)
            if (name == "conv") state.SetIterationTime(ms / 1e3);
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(analysis.totals.macs * batch),
                                                   benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(BM_ConvLayer, resnet_3x3_64_56, 1, 64, 56, "Conv2d", R"({"out_channels": 64, "padding": 1})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_ConvLayer, resnet_3x3_512_7, 1, 512, 7, "Conv2d", R"({"out_channels": 512, "padding": 1})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_ConvLayer, resnet_1x1_256_64_56, 1, 256, 56, "Conv2d", R"({"out_channels": 64, "kernel_size": 1})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_ConvLayer, resnet_1x1_1024_256_14, 1, 1024, 14, "Conv2d",
                  R"({"out_channels": 256, "kernel_size": 1})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_ConvLayer, stem_7x7_s2_224, 1, 3, 224, "Conv2d",
                  R"({"out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_ConvLayer, xception_separable_728_19, 1, 728, 19, "SeparableConv2d",
                  R"({"out_channels": 728, "padding": 1})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_ConvLayer, depthwise_3x3_728_19, 1, 728, 19, "DepthwiseConv2d", R"({"padding": 1})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();

// Batch 8: ResNet's 3×3 stages, whose Winograd data outgrows the caches, and the stem.
BENCHMARK_CAPTURE(BM_ConvLayer, resnet_3x3_64_56_b8, 8, 64, 56, "Conv2d", R"({"out_channels": 64, "padding": 1})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_ConvLayer, resnet_3x3_128_28_b8, 8, 128, 28, "Conv2d", R"({"out_channels": 128, "padding": 1})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_ConvLayer, resnet_3x3_256_14_b8, 8, 256, 14, "Conv2d", R"({"out_channels": 256, "padding": 1})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_ConvLayer, stem_7x7_s2_224_b8, 8, 3, 224, "Conv2d",
                  R"({"out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3})")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();

}  // namespace

BENCHMARK_MAIN();
