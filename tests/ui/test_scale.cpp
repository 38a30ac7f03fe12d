// The designer window on large networks: a 10,000-layer chain without positions opens laid out,
// drawn and summarised; Fit shows a whole network; a running layout can be cancelled.
#include <QFile>
#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QImage>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include "inference.h"
#include "../bench/chain.h"
#include <fstream>

#include "graph_view.h"
#include "run_panel.h"
#include "main_window.h"
#include "ui_test_support.h"
#include "netw_format.h"
#include "summary_model.h"

using nw::ui::MainWindow;
using nw::ui::test::preset;

namespace {

// Whether every node's box lies inside what the canvas shows.
bool everyNodeVisible(const MainWindow& w) {
    const QRectF visible = w.canvas()->mapToScene(w.canvas()->viewport()->rect()).boundingRect();
    for (const nw::Node& n : w.shown().graph.nodes)
        if (!visible.contains(w.canvas()->item(n.id)->sceneBoundingRect())) return false;
    return true;
}
}  // namespace

class ScaleTest : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private slots:
    void initTestCase() { nw::ui::test::isolate(config_); }

    void aTenThousandLayerChainOpensLaidOutAndSummarised() {
        QTemporaryDir tmp;
        const std::string path = tmp.filePath("chain.netw").toStdString();
        QCOMPARE(nw::saveNetwAtomic(chainDocument(10'000), path), std::string());
        MainWindow w;
        w.resize(1440, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(path, true), std::string());
        QCOMPARE(w.canvas()->nodeCount(), 10'000);
        QCOMPARE(w.summaryModel()->rowCount(), 10'001);  // every layer and the totals
        // The layered layout (dot would take seconds): one straight column, top to bottom.
        const nw::Point first = *w.document().graph.nodes.front().pos, last = *w.document().graph.nodes.back().pos;
        QCOMPARE(last.x, first.x);
        QVERIFY(last.y > first.y + 10'000 * 70);
        w.canvas()->fit();  // far too long to fit readable: the furthest zoom, from the top
        QCOMPARE(w.canvas()->transform().m11(), 0.02);
        QVERIFY(w.canvas()
                    ->mapToScene(w.canvas()->viewport()->rect())
                    .boundingRect()
                    .contains(w.canvas()->item("in")->pos()));
        // A summary row click selects and centres its node.
        const int row = w.summaryModel()->rowOf("r5000");
        QVERIFY(row >= 0);
        const QModelIndex index = w.summary()->model()->index(row, 0);
        w.summary()->scrollTo(index);
        QTest::mouseClick(w.summary()->viewport(), Qt::LeftButton, {}, w.summary()->visualRect(index).center());
        QCOMPARE(w.canvas()->selectedNode(), std::string("r5000"));
        QVERIFY(w.canvas()
                    ->mapToScene(w.canvas()->viewport()->rect())
                    .boundingRect()
                    .contains(w.canvas()->item("r5000")->pos()));
    }

    void fitShowsEveryNode() {
        MainWindow w;
        w.resize(1440, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        for (const char* name : {"lenet5", "resnet152", "googlenet"}) {
            QCOMPARE(w.openFile(preset(name), true), std::string());
            w.canvas()->fit();
            QVERIFY2(everyNodeVisible(w), name);
        }
    }

    void aRunningLayoutCanBeCancelled() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("resnet152"), true), std::string());
        const nw::Document before = w.document();
        auto* cancel = w.findChild<QPushButton*>("cancelLayout");
        QVERIFY(cancel && !cancel->isVisible());
        QSignalSpy finished(&w, &MainWindow::layoutFinished);
        w.autoLayout(true);
        QVERIFY(cancel->isVisible());
        QTest::mouseClick(cancel, Qt::LeftButton);
        QVERIFY(finished.wait(10'000));
        QVERIFY(!cancel->isVisible());
        QCOMPARE(w.statusBar()->currentMessage(), QString("Layout cancelled"));
        QVERIFY(w.document() == before);
        QCOMPARE(w.undoStack()->count(), 0);
        // Not cancelled, the same layout lands as one undo step.
        w.autoLayout(true, false);
        QVERIFY(finished.wait(10'000));
        QCOMPARE(w.undoStack()->count(), 1);
        QVERIFY(!(w.document() == before));
    }

    // Running a network whose weights cannot be had is refused with the figures, before any weight
    // is made; the window goes on.
    void runningANetworkTooLargeForMemoryIsRefused() {
        QTemporaryDir tmp;
        const std::string path = tmp.filePath("huge.netw").toStdString();
        // Input 3×224×224 → Flatten (150,528) → Linear to 57,000: 8.58 × 10⁹ weights, 32 GiB.
        std::ofstream(path) << R"({"format": "netwright", "version": 1, "name": "huge", "nodes": [
            {"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 224, "width": 224}},
            {"id": "flat", "kind": "Flatten"}, {"id": "fc", "kind": "Linear", "attrs": {"out_features": 57000}},
            {"id": "out", "kind": "Output"}],
            "edges": [{"from": "in", "to": "flat"}, {"from": "flat", "to": "fc"}, {"from": "fc", "to": "out"}]})";
        qputenv("NETWRIGHT_MEMORY_BUDGET", "4G");
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(path, true), std::string());
        QCOMPARE(w.analysis().errorCount(), size_t{0});
        nw::ui::RunPanel* run = w.runPanel();
        QCOMPARE(run->setImage(nw::dataDir() + "/resources/samples/shapes_224.png"), std::string());
        QSignalSpy finished(run, &nw::ui::RunPanel::finished);
        run->start();
        QVERIFY(finished.wait(10'000));
        qunsetenv("NETWRIGHT_MEMORY_BUDGET");
        QCOMPARE(finished.at(0).at(0).toBool(), false);
        const std::string& error = run->outcome().error;
        QVERIFY2(error.find("weights 32.0 GiB") != std::string::npos, error.c_str());
        QVERIFY2(error.find("more than the budget of 4,294,967,296 bytes") != std::string::npos, error.c_str());
        QVERIFY(w.isVisible());
    }

    // Export is of the whole scene, not the viewport: every node and wire, nothing selected, no
    // minimap; the PNG at the chosen scale.
    void exportsTheWholeNetworkAndNothingElse() {
        QTemporaryDir tmp;
        MainWindow w;
        w.resize(1440, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("googlenet"), true), std::string());
        w.canvas()->selectNode("inception4a");  // a selection must not show in the export
        const QString svgPath = tmp.filePath("googlenet.svg");
        QVERIFY(w.canvas()->exportSvg(svgPath));
        QFile f(svgPath);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString svg = QString::fromUtf8(f.readAll());
        const auto& g = w.shown().graph;
        for (const nw::Node& n : g.nodes)
            QVERIFY2(svg.contains(">" + QString::fromStdString(n.id) + "<"), n.id.c_str());
        // One box per node; per wire its curve and its arrow head (QSvgGenerator writes both as paths).
        QCOMPARE(static_cast<size_t>(svg.count("<rect")), g.nodes.size());
        QCOMPARE(static_cast<size_t>(svg.count("<path")), 2 * g.edges.size());
        QVERIFY(!svg.contains("#2266cc", Qt::CaseInsensitive));            // the selection's blue
        QCOMPARE(w.canvas()->selectedNode(), std::string("inception4a"));  // and the selection is back
        const QImage image = w.canvas()->renderImage(2.0);
        const QRectF scene = w.canvas()->scene()->itemsBoundingRect().adjusted(-20, -20, 20, 20);
        QCOMPARE(image.width(), int(scene.width() * 2));
        QCOMPARE(image.height(), int(scene.height() * 2));
        QVERIFY(w.canvas()->exportPng(tmp.filePath("googlenet.png"), 2.0));
        QCOMPARE(QImage(tmp.filePath("googlenet.png")).size(), image.size());
    }
};

QTEST_MAIN(ScaleTest)
#include "test_scale.moc"
