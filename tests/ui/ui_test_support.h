// Shared by the window's QtTest files: where the presets are, and a test run that touches none of
// the person's settings, recent files or crash-recovery slots.
#pragma once
#include <QMouseEvent>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <string>

#include "inference.h"
#include "graph_view.h"
#include "inspector.h"
#include "main_window.h"

namespace nw::ui::test {

inline std::string preset(const std::string& name) { return dataDir() + "/presets/" + name + ".netw"; }

// Settings (XDG_CONFIG_HOME) and recovery slots in `dir`, for the whole test run.
inline void isolate(const QTemporaryDir& dir) {
    qputenv("XDG_CONFIG_HOME", dir.path().toUtf8());
    qputenv("NETWRIGHT_RECOVERY_DIR", dir.filePath("recovery").toUtf8());
    QStandardPaths::setTestModeEnabled(true);
}

// Shows `w`, opens preset `name` and selects `node` with its inspector built (a failure is recorded
// in the running test; check QTest::currentTestFailed() after it).
inline void openAndInspect(MainWindow& w, const std::string& name, const std::string& node) {
    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QCOMPARE(w.openFile(preset(name), true), std::string());
    w.canvas()->selectNode(node);
    QTRY_COMPARE(w.inspector()->node(), node);
    QTest::qWait(20);  // the inspector is (re)built once the selection has settled
}

// A left-button drag on the canvas from `a` to `b` (view coordinates), with a move between.
inline void drag(GraphView* view, QPoint a, QPoint b) {
    QTest::mousePress(view->viewport(), Qt::LeftButton, {}, a);
    QMouseEvent move(QEvent::MouseMove, b, view->viewport()->mapToGlobal(b), Qt::NoButton, Qt::LeftButton, {});
    QCoreApplication::sendEvent(view->viewport(), &move);
    QTest::mouseRelease(view->viewport(), Qt::LeftButton, {}, b);
}

}  // namespace nw::ui::test
