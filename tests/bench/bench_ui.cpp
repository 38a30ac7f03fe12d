// Designer responsiveness on the largest preset (offscreen platform): opening ResNet-152 with its
// layout, and one attribute edit from the inspector's signal to the repainted canvas.
#include <QApplication>
#include <QGraphicsView>
#include <QUndoStack>
#include <benchmark/benchmark.h>

#include <QDir>
#include <QDockWidget>
#include <QSpinBox>
#include <QThread>
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "chain.h"
#include "edits.h"
#include "netw_format.h"
#include "restructure.h"
#include "graph_view.h"
#include "inspector.h"
#include "main_window.h"
#include "train_panel.h"

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

// ResNet-152 with every module instance expanded into its layers (the canvas then holds every
// layer, ≈500 nodes), written to a temporary file once.
std::string expandedResNet152() {
    static const std::string path = [] {
        nw::Document doc = *nw::loadNetw(kResNet152).document;
        for (bool again = true; again;) {
            again = false;
            for (const nw::Node& n : doc.graph.nodes)
                if (doc.findModule(n.kind)) {
                    nw::Restructured r = nw::expandInstance(doc, n.id);
                    if (!r.doc) break;
                    doc = std::move(*r.doc);
                    again = true;
                    break;
                }
        }
        std::string file = (QDir::tempPath() + "/netwright_bench_resnet152_expanded.netw").toStdString();
        nw::saveNetwAtomic(doc, file);
        return file;
    }();
    return path;
}

// ResNet-152 as opened (Arg 0: 13 nodes on the canvas, modules collapsed) or fully expanded (Arg 1).
std::string resnet152(int64_t expanded) { return expanded ? expandedResNet152() : kResNet152; }

// An edit of bn1's eps as the inspector emits it: one undo step, re-flatten and re-analyse the whole
// network, redraw what changed on the canvas, the summary and problems, and paint the canvas: the
// whole viewport (Arg 1 = 0) or, as the window does, what changed (the events processed, Arg 1 = 1).
void BM_AttributeEditResNet152(benchmark::State& state) {
    nw::ui::MainWindow window;
    window.resize(1440, 900);
    window.show();
    if (!window.openFile(resnet152(state.range(0)), true).empty()) return state.SkipWithError("cannot open ResNet-152");
    window.canvas()->selectNode("bn1");
    QApplication::processEvents();
    double eps = 1e-5;
    for (auto _ : state) {
        eps = eps == 1e-5 ? 2e-5 : 1e-5;
        emit window.inspector()->edited("bn1", "eps", nw::AttrValue(eps));
        if (state.range(1)) QApplication::processEvents();
        else window.canvas()->viewport()->repaint();
    }
    if (window.undoStack()->count() != static_cast<int>(state.iterations()))
        state.SkipWithError("edits were not applied");
    state.counters["canvas_nodes"] = window.canvas()->nodeCount();
}
BENCHMARK(BM_AttributeEditResNet152)
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Fit (View › Fit, Ctrl+0) and one paint of the whole graph.
void BM_FitRepaintResNet152(benchmark::State& state) {
    nw::ui::MainWindow window;
    window.resize(1440, 900);
    window.show();
    if (!window.openFile(resnet152(state.range(0)), true).empty()) return state.SkipWithError("cannot open ResNet-152");
    QApplication::processEvents();
    for (auto _ : state) {
        window.canvas()->resetTransform();
        window.canvas()->fit();
        window.canvas()->viewport()->repaint();
    }
    state.counters["canvas_nodes"] = window.canvas()->nodeCount();
}
BENCHMARK(BM_FitRepaintResNet152)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Opening a chain of 10k / 100k layers without positions: parse, flatten, analyse, lay out (the
// layered layout past 2,500 nodes), draw, fit and paint the window once.
void BM_OpenChain(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    const std::string path =
        (QDir::tempPath() + "/netwright_bench_chain_" + QString::number(n) + ".netw").toStdString();
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

// The window while the Train panel trains (Arg 0: LeNet-5, 1: the MNIST residual net, on
// Fashion-MNIST with the panel's defaults): each iteration is one frame as the event loop makes it —
// the queued step reports (charts, status) and a repaint of the whole 1440×900 window — then 16 ms
// of idle, as at 60 frames/s; about 25 s, so the loss chart reaches thousands of points. The target
// is no frame over 50 ms (counter max_frame_ms).
void BM_FramesWhileTraining(benchmark::State& state) {
    const char* net = state.range(0) ? "mnist_residual" : "lenet5";
    nw::ui::MainWindow window;
    window.resize(1440, 900);
    window.show();
    if (!window.openFile(std::string(NETWRIGHT_SOURCE_DIR) + "/presets/" + net + ".netw", true).empty())
        return state.SkipWithError("cannot open the preset");
    if (auto* dock = window.findChild<QDockWidget*>("train")) dock->raise();
    nw::ui::TrainPanel* panel = window.trainPanel();
    panel->epochs()->setValue(20);  // longer than the frames take, so the charts grow all the while
    if (const std::string e = panel->start(); !e.empty()) return state.SkipWithError(e.c_str());
    std::vector<double> frames;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        QApplication::processEvents();
        window.repaint();
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        frames.push_back(ms);
        state.SetIterationTime(ms / 1000);
        QThread::msleep(16);
    }
    const bool trained = panel->running();
    panel->stop();
    while (panel->running()) QApplication::processEvents();
    if (!trained) return state.SkipWithError("training ended before the frames did: a longer run is needed");
    std::sort(frames.begin(), frames.end());
    state.counters["max_frame_ms"] = frames.back();
    state.counters["p99_frame_ms"] = frames[frames.size() * 99 / 100];
    state.counters["median_frame_ms"] = frames[frames.size() / 2];
}
BENCHMARK(BM_FramesWhileTraining)->Arg(0)->Arg(1)->Iterations(1000)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? "offscreen" : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
