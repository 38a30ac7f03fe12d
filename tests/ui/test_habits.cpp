// Editor habits in the designer window: undo reachable from an inspector field, toolbar buttons that
// keep their width, a Run panel that keeps its controls in view and says how long a small run took.
#include <QAbstractScrollArea>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>

#include "inspector.h"
#include "graph_view.h"
#include "main_window.h"
#include "run_panel.h"
#include "ui_test_support.h"

using nw::ui::MainWindow;
using nw::ui::test::preset;

class HabitsTest : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private slots:
    void initTestCase() { nw::ui::test::isolate(config_); }

    void ctrlZInAnInspectorFieldUndoesTheNetworkEdit() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        w.canvas()->selectNode("conv1");
        QTRY_COMPARE(w.inspector()->node(), std::string("conv1"));
        auto* channels = qobject_cast<QSpinBox*>(w.inspector()->editor("out_channels"));
        QVERIFY(channels);
        channels->setFocus();
        QTest::keyClick(channels, Qt::Key_Up);  // 6 → 7, one edit
        QTRY_COMPARE(w.undoStack()->count(), 1);
        QCOMPARE(std::get<int64_t>(w.document().graph.find("conv1")->attrs.at("out_channels")), int64_t{7});
        QTest::keyClick(QApplication::focusWidget() ? QApplication::focusWidget() : channels, Qt::Key_Z, Qt::ControlModifier);
        QTRY_COMPARE(w.undoStack()->index(), 0);
        QCOMPARE(std::get<int64_t>(w.document().graph.find("conv1")->attrs.at("out_channels")), int64_t{6});
        // And redo from a field again.
        w.canvas()->selectNode("conv1");
        QTRY_VERIFY(w.inspector()->editor("out_channels"));
        QWidget* field = w.inspector()->editor("out_channels");
        field->setFocus();
        QTest::keyClick(field, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QTRY_COMPARE(w.undoStack()->index(), 1);
    }

    void toolbarButtonsKeepTheirWidth() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        auto* toolbar = w.findChild<QToolBar*>("toolbar");
        QVERIFY(toolbar);
        auto* undoButton = qobject_cast<QToolButton*>(toolbar->widgetForAction(w.findChild<QAction*>("undo")));
        QVERIFY(undoButton);
        const int before = undoButton->sizeHint().width();
        emit w.inspector()->edited("conv1", "out_channels", nw::AttrValue{int64_t{12}});
        QApplication::processEvents();
        QVERIFY(w.findChild<QAction*>("undo")->text().size() > 6);  // the menu says what it undoes
        QCOMPARE(undoButton->text(), QString("Undo"));
        QCOMPARE(undoButton->sizeHint().width(), before);
    }

    void theRunPanelKeepsItsControlsInViewAndTimesSmallRuns() {
        MainWindow w;
        w.resize(1440, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        nw::ui::RunPanel* run = w.runPanel();
        QCOMPARE(run->setImage(nw::ui::dataDir() + "/resources/samples/fashion_sneaker.png"), std::string());
        for (int i = 0; i < 2; ++i) {  // the second run starts from an empty bar
            QSignalSpy finished(run, &nw::ui::RunPanel::finished);
            run->start();
            auto* bar = run->findChild<QProgressBar*>();
            QVERIFY(bar);
            QVERIFY(bar->value() < 100);
            QVERIFY(finished.wait(10'000));
            QCOMPARE(bar->value(), 100);
        }
        QString status;
        for (QLabel* l : run->findChildren<QLabel*>())
            if (l->text().startsWith("Ran in")) status = l->text();
        QVERIFY2(QRegularExpression("^Ran in [0-9.]+ (µs|ms|s) ").match(status).hasMatch(), qPrintable(status));
        QVERIFY2(!status.startsWith("Ran in 0 "), qPrintable(status));
        QCOMPARE(QString::fromStdString(nw::ui::formatDuration(0.85)), QString("850 µs"));
        QCOMPARE(QString::fromStdString(nw::ui::formatDuration(12.34)), QString("12.3 ms"));
        QCOMPARE(QString::fromStdString(nw::ui::formatDuration(1420)), QString("1.42 s"));
        // The Run button is where the person left it: inside the visible part of the panel.
        auto* scroll = run->findChild<QScrollArea*>();
        QPushButton* runButton = nullptr;
        for (QPushButton* b : run->findChildren<QPushButton*>())
            if (b->text() == "Run") runButton = b;
        QVERIFY(scroll && runButton);
        const QRect shown(scroll->viewport()->mapToGlobal(QPoint(0, 0)), scroll->viewport()->size());
        QVERIFY(shown.contains(QRect(runButton->mapToGlobal(QPoint(0, 0)), runButton->size()).center()));
    }
};

QTEST_MAIN(HabitsTest)
#include "test_habits.moc"
