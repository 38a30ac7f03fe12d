// The designer window driven as a person would (offscreen platform): presets load with their
// modules collapsed and the same totals as the core; a broken file shows a badge and a problem whose
// click selects the node; a malformed file leaves the open network alone; the palette filters.
#include <QDir>
#include <QMouseEvent>
#include <QStatusBar>
#include <QTextBrowser>
#include <QFileInfo>
#include <QTimer>
#include <QGraphicsView>
#include <QSpinBox>
#include <QUndoStack>
#include <QGraphicsItem>
#include <QLineEdit>
#include <QListWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <fstream>

#include "flatten.h"
#include "graph_view.h"
#include "inspector.h"
#include "preset_dialog.h"
#include "main_window.h"
#include "netw_format.h"

using nw::ui::MainWindow;

class MainWindowTest : public QObject {
    Q_OBJECT

    static std::string preset(const std::string& name) { return nw::ui::dataDir() + "/presets/" + name + ".netw"; }

private slots:
    void everyPresetShowsCollapsedModulesAndTheCoreTotals() {
        const QDir dir(QString::fromStdString(nw::ui::dataDir() + "/presets"));
        const QStringList files = dir.entryList({"*.netw"}, QDir::Files);
        QVERIFY(files.size() >= 14);
        MainWindow w;
        for (const QString& f : files) {
            const std::string path = dir.filePath(f).toStdString();
            QCOMPARE(w.openFile(path, true), std::string());
            nw::LoadResult r = nw::loadNetw(path);
            const nw::Analysis a = nw::analyze(nw::flatten(*r.document));
            QCOMPARE(w.analysis().totals.params, a.totals.params);
            QCOMPARE(w.analysis().totals.macs, a.totals.macs);
            QCOMPARE(w.canvas()->nodeCount(), static_cast<int>(r.document->graph.nodes.size()));
            // The totals row of the summary says the same.
            const int last = w.summary()->rowCount() - 1;
            QCOMPARE(w.summary()->item(last, 0)->text(), QString("Total"));
            QCOMPARE(w.summary()->item(last, 3)->data(Qt::UserRole).toLongLong(), a.totals.params);
            QCOMPARE(w.summary()->item(last, 4)->data(Qt::UserRole).toLongLong(), a.totals.macs);
            QCOMPARE(w.problems()->count(), 0);
        }
        // ResNet-50 is stem + 4 stages of collapsed Bottlenecks + head, not 170 boxes.
        QCOMPARE(w.openFile(preset("resnet50"), true), std::string());
        QCOMPARE(w.canvas()->nodeCount(), 13);
        QVERIFY(w.summary()->rowCount() > 170);
    }

    void aBrokenConcatShowsABadgeAndItsProblemSelectsTheNode() {
        QTemporaryDir tmp;
        const std::string path = tmp.filePath("broken.netw").toStdString();
        std::ofstream(path) << R"({"format": "netwright", "version": 1, "name": "broken", "nodes": [
            {"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 32, "width": 32}},
            {"id": "p", "kind": "MaxPool2d"}, {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 8, "kernel_size": 1}},
            {"id": "cat", "kind": "Concat"}],
          "edges": [{"from": "in", "to": "p"}, {"from": "in", "to": "c"},
                    {"from": "c", "to": "cat", "to_port": "in0"}, {"from": "p", "to": "cat", "to_port": "in1"}]})";
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(path, true), std::string());
        QCOMPARE(w.problems()->count(), 1);
        QVERIFY(w.problems()->item(0)->text().contains("concat inputs differ in H×W"));
        QVERIFY(w.canvas()->item("cat")->toolTip().contains("concat inputs differ in H×W"));
        QVERIFY(w.canvas()->selectedNode().empty());
        // Click the problem: the node is selected and centred.
        QListWidget* list = w.problems();
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(0)).center());
        QCOMPARE(w.canvas()->selectedNode(), std::string("cat"));
    }

    void editingInTheInspectorUpdatesShapesAndTotalsAndUndoRedoesIt() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        // Click conv1 on the canvas.
        QGraphicsView* view = w.canvas();
        const QPoint at = view->mapFromScene(w.canvas()->item("conv1")->scenePos());
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at);
        QCOMPARE(w.canvas()->selectedNode(), std::string("conv1"));
        QCOMPARE(w.inspector()->node(), std::string("conv1"));
        auto* outChannels = qobject_cast<QSpinBox*>(w.inspector()->editor("out_channels"));
        QVERIFY(outChannels);
        QCOMPARE(outChannels->value(), 6);
        // Type 12 and press Enter.
        outChannels->setFocus();
        QTest::keyClick(outChannels, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClicks(outChannels, "12");
        QTest::keyClick(outChannels, Qt::Key_Return);
        QCoreApplication::processEvents();
        auto shape = [&](const char* node) { return w.analysis().nodes[static_cast<size_t>(w.flat().find(node))].outputs.at(0); };
        QCOMPARE(shape("conv1"), (nw::Shape{1, 12, 28, 28}));
        QCOMPARE(shape("pool1"), (nw::Shape{1, 12, 14, 14}));  // downstream follows
        const int64_t edited = 61706 - 156 - 2416 + (12 * 25 + 12) + (16 * 12 * 25 + 16);
        QCOMPARE(w.analysis().totals.params, edited);
        QVERIFY(w.isWindowModified());
        QCOMPARE(w.undoStack()->count(), 1);
        // Ctrl+Z undoes, Ctrl+Shift+Z redoes.
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(w.analysis().totals.params, int64_t{61706});
        QCOMPARE(shape("conv1"), (nw::Shape{1, 6, 28, 28}));
        QVERIFY(!w.isWindowModified());
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(w.analysis().totals.params, edited);
        QCoreApplication::processEvents();  // the inspector shows the value again
        outChannels = qobject_cast<QSpinBox*>(w.inspector()->editor("out_channels"));
        QVERIFY(outChannels);
        QCOMPARE(outChannels->value(), 12);

        // Save, reopen in another window: the same document and totals.
        QTemporaryDir tmp;
        const std::string saved = tmp.filePath("lenet_wide.netw").toStdString();
        QCOMPARE(w.saveFile(saved), std::string());
        QVERIFY(!w.isWindowModified());
        MainWindow again;
        QCOMPARE(again.openFile(saved, true), std::string());
        QVERIFY(again.document() == w.document());
        QCOMPARE(again.analysis().totals.params, edited);
    }

    void unsavedEditsAreAutosavedAndRestoredAfterACrash() {
        QTemporaryDir tmp;
        qputenv("NETWRIGHT_RECOVERY_DIR", tmp.filePath("recovery").toUtf8());
        const std::string recovery = MainWindow::recoveryFile();
        {
            auto* crashed = new MainWindow;  // never closed: as if the process died
            QCOMPARE(crashed->openFile(preset("lenet5"), true), std::string());
            QVERIFY(crashed->autosaveTimer()->isActive());
            QCOMPARE(crashed->autosaveTimer()->interval(), 60'000);
            crashed->autosaveNow();
            QVERIFY(!QFileInfo::exists(QString::fromStdString(recovery)));  // nothing unsaved yet
            emit crashed->inspector()->edited("conv1", "out_channels", nw::AttrValue{int64_t{12}});
            QVERIFY(crashed->isWindowModified());
            crashed->autosaveNow();
            QVERIFY(QFileInfo::exists(QString::fromStdString(recovery)));
        }
        MainWindow next;
        QCOMPARE(next.restoreRecovery(), std::string());
        QVERIFY(next.isWindowModified());
        const int64_t edited = 61706 - 156 - 2416 + (12 * 25 + 12) + (16 * 12 * 25 + 16);
        QCOMPARE(next.analysis().totals.params, edited);
        // Saving puts the edits where they belong and removes the recovery file.
        const std::string saved = tmp.filePath("lenet_saved.netw").toStdString();
        QCOMPARE(next.saveFile(saved), std::string());
        QVERIFY(!QFileInfo::exists(QString::fromStdString(recovery)));
        QVERIFY(!next.isWindowModified());
        qunsetenv("NETWRIGHT_RECOVERY_DIR");
    }

    void buildANetworkWithPaletteAndWiresThenUndoItAll() {
        QTemporaryDir tmp;
        const std::string path = tmp.filePath("start.netw").toStdString();
        std::ofstream(path) << R"({"format": "netwright", "version": 1, "name": "start", "nodes": [
            {"id": "input", "kind": "Input", "attrs": {"channels": 3, "height": 32, "width": 32}, "pos": [0, 0]}]})";
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(path, true), std::string());
        const nw::Document start = w.document();
        auto doubleClickKind = [&](const QString& kind) {
            const auto found = w.palette()->findItems(kind, Qt::MatchExactly | Qt::MatchRecursive);
            QVERIFY(!found.isEmpty());
            const QRect r = w.palette()->visualItemRect(found.first());
            // A real double click: press/release, then the double-click event (item views check both).
            QTest::mouseClick(w.palette()->viewport(), Qt::LeftButton, {}, r.center());
            QTest::mouseDClick(w.palette()->viewport(), Qt::LeftButton, {}, r.center());
        };
        auto wire = [&](const std::string& from, const std::string& to) {
            QGraphicsView* view = w.canvas();
            const QPoint a = w.canvas()->outputPortAt(from);
            const QPoint b = view->mapFromScene(w.canvas()->item(to)->scenePos());
            QTest::mousePress(view->viewport(), Qt::LeftButton, {}, a);
            QMouseEvent move(QEvent::MouseMove, b, view->viewport()->mapToGlobal(b), Qt::NoButton, Qt::LeftButton, {});
            QCoreApplication::sendEvent(view->viewport(), &move);  // the live preview follows
            QTest::mouseRelease(view->viewport(), Qt::LeftButton, {}, b);
        };
        auto shape = [&](const char* node) {
            int i = w.flat().find(node);
            return i < 0 ? nw::Shape{} : w.analysis().nodes[static_cast<size_t>(i)].outputs.at(0);
        };
        doubleClickKind("Conv2d");
        QVERIFY(w.canvas()->item("conv2d"));
        wire("input", "conv2d");
        QCOMPARE(shape("conv2d"), (nw::Shape{1, 16, 30, 30}));
        doubleClickKind("ReLU");
        QVERIFY(w.canvas()->item("relu"));
        wire("conv2d", "relu");
        QCOMPARE(shape("relu"), (nw::Shape{1, 16, 30, 30}));
        QCOMPARE(w.analysis().errorCount(), size_t{0});
        // A drop that cannot work is refused, with the reason in the status bar.
        const int steps = w.undoStack()->count();
        wire("relu", "input");
        QCOMPARE(w.undoStack()->count(), steps);
        QVERIFY(w.statusBar()->currentMessage().contains("input (Input) takes no input"));
        wire("relu", "conv2d");
        QVERIFY(w.statusBar()->currentMessage().contains("would make a cycle"));
        // Select ReLU and press Delete.
        w.canvas()->selectNode("relu");
        QTest::keyClick(w.canvas(), Qt::Key_Delete);
        QVERIFY(!w.canvas()->item("relu"));
        QCOMPARE(w.undoStack()->count(), 5);  // add, connect, add, connect, delete
        // Undo everything: back to the file as opened; redo everything: ReLU deleted again.
        for (int i = 0; i < 5; ++i) QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(w.document() == start);
        QVERIFY(!w.isWindowModified());
        for (int i = 0; i < 5; ++i) QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(w.canvas()->item("conv2d") && !w.canvas()->item("relu"));
        QCOMPARE(shape("conv2d"), (nw::Shape{1, 16, 30, 30}));
    }

    void draggingANodeAndAutoLayoutAreSingleUndoSteps() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        const nw::Document start = w.document();
        QGraphicsView* view = w.canvas();
        const QPoint from = view->mapFromScene(w.canvas()->item("conv1")->scenePos());
        const QPoint to = from + QPoint(150, 0);
        QTest::mousePress(view->viewport(), Qt::LeftButton, {}, from);
        for (int step = 1; step <= 5; ++step) {  // a drag is many moves and still one undo step
            const QPoint p = from + (to - from) * step / 5;
            QMouseEvent move(QEvent::MouseMove, p, view->viewport()->mapToGlobal(p), Qt::NoButton, Qt::LeftButton, {});
            QCoreApplication::sendEvent(view->viewport(), &move);
        }
        QTest::mouseRelease(view->viewport(), Qt::LeftButton, {}, to);
        QCOMPARE(w.undoStack()->count(), 1);
        const nw::Point moved = *w.document().graph.find("conv1")->pos;
        QVERIFY(moved.x > start.graph.find("conv1")->pos->x + 100);
        QCOMPARE(moved.y, start.graph.find("conv1")->pos->y);
        QVERIFY(w.isWindowModified());
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(w.document() == start);
        // Auto-layout left to right: one step; the network now runs along x.
        QTest::keyClick(&w, Qt::Key_L, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(w.undoStack()->count(), 1);
        const auto x = [&](const char* id) { return w.document().graph.find(id)->pos->x; };
        QVERIFY(x("input") < x("conv1") && x("conv1") < x("fc3"));
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(w.document() == start);
    }

    void thePresetDialogListsEveryPresetWithItsCounts() {
        nw::ui::PresetDialog dialog(nw::ui::dataDir() + "/presets");
        QCOMPARE(dialog.table()->rowCount(), 14);
        int resnet50 = -1;
        for (int r = 0; r < dialog.table()->rowCount(); ++r)
            if (dialog.table()->item(r, 0)->text() == "ResNet-50") resnet50 = r;
        QVERIFY(resnet50 >= 0);
        QCOMPARE(dialog.table()->item(resnet50, 1)->text(), QString("1×3×224×224"));
        QCOMPARE(dialog.table()->item(resnet50, 2)->text(), QString("25,610,152"));
        QCOMPARE(dialog.table()->item(resnet50, 3)->text(), QString("4,089,184,256"));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        // Choosing a row with the keyboard shows its description and makes it the choice.
        dialog.table()->setFocus();
        dialog.table()->selectRow(0);
        for (int r = 0; r < resnet50; ++r) QTest::keyClick(dialog.table(), Qt::Key_Down);
        QCOMPARE(dialog.chosenPath(), nw::ui::dataDir() + "/presets/resnet50.netw");
        QVERIFY(dialog.findChild<QTextBrowser*>()->toPlainText().contains("torchvision"));
    }

    void aMalformedFileKeepsTheOpenNetwork() {
        QTemporaryDir tmp;
        const std::string path = tmp.filePath("bad.netw").toStdString();
        std::ofstream(path) << R"({"format": "netwright", "version": 1, "nodes": [{"id": "a", "kind": )";
        MainWindow w;
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        QVERIFY(!w.openFile(path, true).empty());
        QCOMPARE(w.document().name, std::string("LeNet-5"));
        QCOMPARE(w.analysis().totals.params, int64_t{61706});
    }

    void typingInThePaletteFilterShowsOnlyMatchingKinds() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::keyClicks(w.paletteFilter(), "pool");
        int visible = 0;
        for (int c = 0; c < w.palette()->topLevelItemCount(); ++c) {
            QTreeWidgetItem* cat = w.palette()->topLevelItem(c);
            for (int i = 0; i < cat->childCount(); ++i)
                if (!cat->isHidden() && !cat->child(i)->isHidden()) {
                    ++visible;
                    QVERIFY(cat->child(i)->text(0).contains("Pool", Qt::CaseInsensitive) ||
                            cat->text(0).contains("pool", Qt::CaseInsensitive));
                }
        }
        QCOMPARE(visible, 4);  // MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, GlobalAvgPool
    }
};

QTEST_MAIN(MainWindowTest)
#include "test_main_window.moc"
