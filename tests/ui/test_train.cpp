// The Train panel: a short run on a Fashion-MNIST subset fills the charts, ends with a confusion
// matrix and hands the weights to the Run panel, which then classifies a sample; Stop ends a run
// early; an edit to the network stops a run.
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QLineSeries>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

#include "main_window.h"
#include "run_panel.h"
#include "train_panel.h"
#include "ui_test_support.h"

using nw::ui::MainWindow;
using nw::ui::TrainPanel;
using nw::ui::test::preset;

class TrainTest : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private slots:
    void initTestCase() { nw::ui::test::isolate(config_); }

    void aShortRunFillsTheChartsAndTheRunPanelUsesItsWeights() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        TrainPanel* panel = w.trainPanel();
        panel->setSubset(2048);
        panel->epochs()->setValue(2);
        QCOMPARE(panel->start(), std::string());
        QVERIFY(panel->running());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->running(), 60000);
        QVERIFY2(panel->status()->text().startsWith("Done"), qPrintable(panel->status()->text()));
        QCOMPARE(panel->lossSeries()->count(), 2 * 32);  // 2048 / 64 steps a epoch
        QCOMPARE(panel->trainAccuracySeries()->count(), 2);
        QCOMPARE(panel->validationAccuracySeries()->count(), 2);
        QCOMPARE(panel->confusion()->rowCount(), 10);
        QCOMPARE(panel->evaluation().samples, 2048);
        QVERIFY(panel->evaluation().accuracy() > 0.5);  // far above chance (10 %) after 4,096 samples
        QVERIFY(w.runPanel()->weightsLabel().find("trained here") != std::string::npos);
        // NETWRIGHT_SCREENSHOTS=DIR: the window with the Train panel after the run, for docs/screenshots.
        if (const QByteArray dir = qgetenv("NETWRIGHT_SCREENSHOTS"); !dir.isEmpty()) {
            w.resize(1440, 900);
            if (auto* dock = w.findChild<QDockWidget*>("train")) dock->raise();
            QTest::qWait(200);
            w.grab().save(QString::fromUtf8(dir) + "/train_panel.png");
        }
        // The Run panel classifies a sample with the trained weights.
        QCOMPARE(w.runPanel()->setImage(nw::dataDir() + "/resources/samples/fashion_trouser.png"), std::string());
        w.runPanel()->start();
        QTRY_VERIFY_WITH_TIMEOUT(!w.runPanel()->running(), 10000);
        QVERIFY(!w.runPanel()->outcome().top.empty());
        // Class 1, Trouser (LeNet-5's Output names no labels, so the panel shows the index).
        QCOMPARE(QString::fromStdString(w.runPanel()->outcome().top.front().first), QString("1"));
    }

    void stopEndsARunAndAnEditStopsOne() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        TrainPanel* panel = w.trainPanel();
        panel->epochs()->setValue(50);
        QCOMPARE(panel->start(), std::string());
        QTRY_VERIFY_WITH_TIMEOUT(panel->lossSeries()->count() > 3, 20000);
        panel->stop();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->running(), 20000);
        QVERIFY2(panel->status()->text().startsWith("Stopped"), qPrintable(panel->status()->text()));
        QCOMPARE(panel->start(), std::string());
        QTRY_VERIFY_WITH_TIMEOUT(panel->lossSeries()->count() > 3, 20000);
        emit w.inspector()->edited("fc3", "out_features", nw::AttrValue{int64_t{12}});
        QTRY_VERIFY_WITH_TIMEOUT(!panel->running(), 20000);
    }
};

QTEST_MAIN(TrainTest)
#include "test_train.moc"
