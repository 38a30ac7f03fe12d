// Designer responsiveness on the largest preset (offscreen platform): opening ResNet-152 with its
// layout, and one attribute edit from the inspector's signal to the repainted canvas.
#include <QApplication>
#include <QGraphicsView>
#include <QUndoStack>
#include <benchmark/benchmark.h>

#include <QDir>
#include <cstdio>

#include "chain.h"
#include "edits.h"
#include "netw_format.h"
#include "graph_view.h"
#include "inspector.h"
#include "main_window.h"

namespace {

const std::string kResNet152 = std::string(NETWRIGHT_SOURCE_DIR) + "/presets/resnet152.netw";

// openFile = parse, flatten + analyse 517 layers, Graphviz layout of the top level, draw; then the
// window is painted once.
void BM_OpenResNet152(benchmark::State& state) {
    nw::ui::MainWindow window;
    window.show();
    for (auto _ : state) {
        if (!window.openFile(kResNet152, true).empty()) state.SkipWithError("cannot open ResNet-152");
        window.repaint();
    }
    state.counters["layers"] = static_cast<double>(window.flat().nodes.size());
}
BENCHMARK(BM_OpenResNet152)->Unit(benchmark::kMillisecond)->UseRealTime();

// An edit of bn1's eps as the inspector emits it: one undo step, re-flatten and re-analyse the whole
// network, redraw the canvas, summary and problems, and paint the canvas.
void BM_AttributeEditResNet152(benchmark::State& state) {
    nw::ui::MainWindow window;
    window.show();
    if (!window.openFile(kResNet152, true).empty()) return state.SkipWithError("cannot open ResNet-152");
    window.canvas()->selectNode("bn1");
    QApplication::processEvents();
    double eps = 1e-5;
    for (auto _ : state) {
        eps = eps == 1e-5 ? 2e-5 : 1e-5;
        emit window.inspector()->edited("bn1", "eps", nw::AttrValue(eps));
        window.canvas()->viewport()->repaint();
    }
    if (window.undoStack()->count() != static_cast<int>(state.iterations())) state.SkipWithError("edits were not applied");
}
BENCHMARK(BM_AttributeEditResNet152)->Unit(benchmark::kMillisecond)->UseRealTime();

// Opening a chain of 10k / 100k layers without positions: parse, flatten, analyse, lay out (the
// layered layout past 2,500 nodes), draw, fit and paint the window once.
void BM_OpenChain(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    const std::string path = (QDir::tempPath() + "/netwright_bench_chain_" + QString::number(n) + ".netw").toStdString();
    if (!nw::saveNetwAtomic(chainDocument(n), path).empty()) return state.SkipWithError("cannot write the chain");
    nw::ui::MainWindow window;
    window.resize(1440, 900);
    window.show();
    for (auto _ : state) {
        if (!window.openFile(path, true).empty()) state.SkipWithError("cannot open the chain");
        window.canvas()->fit();
        window.repaint();
    }
    state.counters["nodes"] = n;
    std::remove(path.c_str());
}
BENCHMARK(BM_OpenChain)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

}  // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? "offscreen" : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
