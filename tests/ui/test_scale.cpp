// The designer window on large networks: a 10,000-layer chain without positions opens laid out,
// drawn and summarised; Fit shows a whole network; a running layout can be cancelled.
#include <QGraphicsItem>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include "../bench/chain.h"
#include "graph_view.h"
#include "main_window.h"
#include "netw_format.h"
#include "summary_model.h"

using nw::ui::MainWindow;

namespace {
std::string preset(const std::string& name) { return nw::ui::dataDir() + "/presets/" + name + ".netw"; }

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
    void initTestCase() {
        qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
        qputenv("NETWRIGHT_RECOVERY_DIR", config_.filePath("recovery").toUtf8());
        QStandardPaths::setTestModeEnabled(true);
    }

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
        QVERIFY(w.canvas()->mapToScene(w.canvas()->viewport()->rect()).boundingRect().contains(w.canvas()->item("in")->pos()));
        // A summary row click selects and centres its node.
        const int row = w.summaryModel()->rowOf("r5000");
        QVERIFY(row >= 0);
        const QModelIndex index = w.summary()->model()->index(row, 0);
        w.summary()->scrollTo(index);
        QTest::mouseClick(w.summary()->viewport(), Qt::LeftButton, {}, w.summary()->visualRect(index).center());
        QCOMPARE(w.canvas()->selectedNode(), std::string("r5000"));
        QVERIFY(w.canvas()->mapToScene(w.canvas()->viewport()->rect()).boundingRect().contains(w.canvas()->item("r5000")->pos()));
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
};

QTEST_MAIN(ScaleTest)
#include "test_scale.moc"
