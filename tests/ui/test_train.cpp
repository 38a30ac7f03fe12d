// The Train panel: a short run on a Fashion-MNIST subset fills the charts, ends with a confusion
// matrix and a gallery of misclassified test images (a click runs one in the Run panel, which gives
// the same wrong answer) and hands the weights to the Run panel, which then classifies a sample;
// the weights saved from the panel load back; Stop ends a run early; an edit to the network stops a
// run (moving a node does not) and weights that no longer fit leave the Run panel.
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>
#include <QUndoStack>

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
        // NETWRIGHT_SCREENSHOTS=DIR: the window mid-training and after the run, for docs/screenshots.
        const QByteArray shots = qgetenv("NETWRIGHT_SCREENSHOTS");
        if (!shots.isEmpty()) {
            w.resize(1440, 900);
            if (auto* dock = w.findChild<QDockWidget*>("train")) dock->raise();
        }
        // Pause in the second epoch: no more steps come until Resume.
        QTRY_VERIFY_WITH_TIMEOUT(panel->lossSeries()->count() >= 40, 60000);
        QTest::mouseClick(panel->pauseButton(), Qt::LeftButton);
        QTest::qWait(300);  // the steps already reported arrive
        const int pausedAt = panel->lossSeries()->count();
        QVERIFY(pausedAt < 64);
        QTest::qWait(500);
        QCOMPARE(panel->lossSeries()->count(), pausedAt);
        QVERIFY2(panel->status()->text().startsWith("Paused at epoch 2 of 2"), qPrintable(panel->status()->text()));
        if (!shots.isEmpty()) w.grab().save(QString::fromUtf8(shots) + "/train_panel_training.png");
        QTest::mouseClick(panel->pauseButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->running(), 60000);
        QVERIFY2(panel->status()->text().startsWith("Done"), qPrintable(panel->status()->text()));
        QCOMPARE(panel->lossSeries()->count(), 2 * 32);  // 2048 / 64 steps a epoch
        QCOMPARE(panel->trainAccuracySeries()->count(), 2);
        QCOMPARE(panel->validationAccuracySeries()->count(), 2);
        QCOMPARE(panel->confusion()->rowCount(), 10);
        QCOMPARE(panel->evaluation().samples, 2048);
        QVERIFY(panel->evaluation().accuracy() > 0.5);  // far above chance (10 %) after 4,096 samples
        QVERIFY(w.runPanel()->weightsLabel().find("trained here") != std::string::npos);
        // The gallery: the first misclassified test images, each captioned true → predicted.
        const auto& wrong = panel->evaluation().misclassified;
        QCOMPARE(panel->evaluation().samples - panel->evaluation().correct, static_cast<int64_t>(wrong.size()));
        QVERIFY(!wrong.empty());
        QCOMPARE(panel->gallery()->count(), static_cast<int>(std::min<size_t>(wrong.size(), 64)));
        QVERIFY(!panel->gallery()->item(0)->icon().isNull());
        QVERIFY(panel->gallery()->item(0)->text().contains("→"));
        if (!shots.isEmpty()) {
            panel->findChild<QScrollArea*>()->ensureWidgetVisible(panel->gallery());
            QTest::qWait(200);
            w.grab().save(QString::fromUtf8(shots) + "/train_panel.png");
        }
        // A click on the first one runs it in the Run panel, which predicts the same wrong class.
        QListWidget* gallery = panel->gallery();
        gallery->scrollToItem(gallery->item(0));
        QTest::mouseClick(gallery->viewport(), Qt::LeftButton, {}, gallery->visualItemRect(gallery->item(0)).center());
        QTRY_VERIFY_WITH_TIMEOUT(!w.runPanel()->outcome().top.empty(), 10000);
        QCOMPARE(QString::fromStdString(w.runPanel()->outcome().top.front().first),
                 QString::number(wrong.front().second));
        // Save weights writes them; Load weights in a fresh window gives the Run panel the same tensors.
        QTemporaryDir out;
        const std::string saved = out.filePath("trained.safetensors").toStdString();
        QCOMPARE(panel->saveWeights(saved), std::string());
        MainWindow other;
        QCOMPARE(other.openFile(preset("lenet5"), true), std::string());
        QVERIFY(other.trainPanel()->saveWeights(saved) != std::string());  // nothing trained there yet
        QCOMPARE(other.trainPanel()->loadWeights(saved), std::string());
        QCOMPARE(other.runPanel()->weights()->size(), w.runPanel()->weights()->size());
        for (const auto& [name, t] : *w.runPanel()->weights())
            QVERIFY2(other.runPanel()->weights()->at(name).data == t.data, name.c_str());
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
        QVERIFY(w.runPanel()->weights());  // the stopped run's
        QCOMPARE(panel->start(), std::string());
        QTRY_VERIFY_WITH_TIMEOUT(panel->lossSeries()->count() > 3, 20000);
        // Tidying the canvas is no edit of the network: the run goes on.
        const int points = panel->lossSeries()->count();
        emit w.canvas()->nodesMoved({"fc3"}, {QPointF(40, 900)});
        QTRY_VERIFY_WITH_TIMEOUT(panel->lossSeries()->count() > points + 2, 20000);
        QVERIFY(panel->running());
        // Ten classes become twelve: the run stops, and neither the first run's weights nor this
        // one's (fc3 of 10 outputs) stay in the Run panel, which says why.
        emit w.inspector()->edited("fc3", "out_features", nw::AttrValue{int64_t{12}});
        QVERIFY(!w.runPanel()->weights());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->running(), 20000);
        QVERIFY2(panel->status()->text().startsWith("Stopped by an edit"), qPrintable(panel->status()->text()));
        QVERIFY(!w.runPanel()->weights());
        const QString why = w.runPanel()->status()->text();
        QVERIFY2(why.contains("do not fit") && why.contains("fc3.weight"), qPrintable(why));
        QCOMPARE(w.runPanel()->weightsLabel(), std::string("Random weights (seeded)"));
        // Undone, the network fits the weights trained on it again: the Run panel takes them.
        w.undoStack()->undo();
        QVERIFY(w.runPanel()->weights());
        QVERIFY(w.runPanel()->weightsLabel().starts_with("trained here"));
    }
};

QTEST_MAIN(TrainTest)
#include "test_train.moc"
