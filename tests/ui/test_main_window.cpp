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
#include <QDoubleSpinBox>
#include <QGraphicsSimpleTextItem>
#include <QUndoStack>
#include <QGraphicsItem>
#include <QLineEdit>
#include <QListWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <QClipboard>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScrollBar>
#include <QComboBox>
#include <QLabel>
#include <QApplication>
#include <QMimeData>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <fstream>

#include "inference.h"
#include "compare_dialog.h"
#include "restructure.h"
#include "run_panel.h"
#include "tensor_io.h"

#include "flatten.h"
#include "graph_view.h"
#include "inspector.h"
#include "preset_dialog.h"
#include "main_window.h"
#include "netw_format.h"

using nw::ui::MainWindow;

class MainWindowTest : public QObject {
    Q_OBJECT

    static std::string preset(const std::string& name) { return nw::dataDir() + "/presets/" + name + ".netw"; }

    QTemporaryDir config_;  // settings (recent files, docks, theme) of this test run only

    // Drags layer `kind` from the palette and drops it at `viewPos` on the canvas, through the same
    // drag data and drop events a mouse drag produces.
    static void dragKindOntoCanvas(MainWindow& w, const QString& kind, QPoint viewPos) {
        const auto found = w.palette()->findItems(kind, Qt::MatchExactly | Qt::MatchRecursive);
        QVERIFY(!found.isEmpty());
        const QModelIndex index = w.palette()->indexFromItem(found.first());
        std::unique_ptr<QMimeData> mime(w.palette()->model()->mimeData({index}));
        QVERIFY(mime && mime->hasFormat(nw::ui::GraphView::kKindMime));
        QWidget* target = w.canvas()->viewport();
        QDragEnterEvent enter(viewPos, Qt::CopyAction, mime.get(), Qt::LeftButton, {});
        QCoreApplication::sendEvent(target, &enter);
        QVERIFY(enter.isAccepted());
        QDragMoveEvent move(viewPos, Qt::CopyAction, mime.get(), Qt::LeftButton, {});
        QCoreApplication::sendEvent(target, &move);
        QDropEvent drop(QPointF(viewPos), Qt::CopyAction, mime.get(), Qt::LeftButton, {});
        QCoreApplication::sendEvent(target, &drop);
    }

    // Drags a wire from `from`'s output port to `to`, checking the compatible targets light up.
    static void wire(MainWindow& w, const std::string& from, const std::string& to) {
        QGraphicsView* view = w.canvas();
        const QPoint a = w.canvas()->outputPortAt(from);
        const QPoint b = view->mapFromScene(w.canvas()->item(to)->scenePos());
        QTest::mousePress(view->viewport(), Qt::LeftButton, {}, a);
        QMouseEvent move(QEvent::MouseMove, b, view->viewport()->mapToGlobal(b), Qt::NoButton, Qt::LeftButton, {});
        QCoreApplication::sendEvent(view->viewport(), &move);
        const auto lit = w.canvas()->highlightedTargets();
        QVERIFY(std::find(lit.begin(), lit.end(), from) == lit.end());
        QTest::mouseRelease(view->viewport(), Qt::LeftButton, {}, b);
        QVERIFY(w.canvas()->highlightedTargets().empty());
    }

    static nw::Shape shapeOf(const MainWindow& w, const char* node) {
        int i = w.flat().find(node);
        return i < 0 || !w.analysis().nodes[static_cast<size_t>(i)].known
                   ? nw::Shape{}
                   : w.analysis().nodes[static_cast<size_t>(i)].outputs.at(0);
    }

private slots:
    void initTestCase() {
        qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
    }

    // The issue's whole scenario, as a person would do it with mouse and keyboard.
    void dragWireEditGroupExpandUndoRedoSaveAndReopen() {
        QTemporaryDir tmp;
        const std::string path = tmp.filePath("start.netw").toStdString();
        std::ofstream(path) << R"({"format": "netwright", "version": 1, "name": "start", "nodes": [
            {"id": "input", "kind": "Input", "attrs": {"channels": 3, "height": 32, "width": 32}, "pos": [0, 0]}]})";
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(path, true), std::string());
        const nw::Document start = w.document();
        QGraphicsView* view = w.canvas();
        // Drag a Conv2d and a ReLU from the palette onto the canvas; they land where dropped.
        dragKindOntoCanvas(w, "Conv2d", view->mapFromScene(QPointF(0, 120)));
        QVERIFY(w.canvas()->item("conv2d"));
        QVERIFY(std::abs(w.document().graph.find("conv2d")->pos->y - 120.0) < 2);
        dragKindOntoCanvas(w, "ReLU", view->mapFromScene(QPointF(0, 240)));
        wire(w, "input", "conv2d");
        wire(w, "conv2d", "relu");
        QCOMPARE(shapeOf(w, "relu"), (nw::Shape{1, 16, 30, 30}));
        // Wires show the shape they carry.
        QCOMPARE(w.canvas()->wireLabelCount(), 2);
        // out_channels 16 → 24 in the inspector: the ReLU downstream and the totals follow.
        w.canvas()->selectNode("conv2d");
        QTRY_COMPARE(w.inspector()->node(), std::string("conv2d"));
        auto* channels = qobject_cast<QSpinBox*>(w.inspector()->editor("out_channels"));
        QVERIFY(channels);
        channels->setValue(24);
        QCOMPARE(shapeOf(w, "relu"), (nw::Shape{1, 24, 30, 30}));
        QCOMPARE(w.analysis().totals.params, int64_t{24 * 3 * 9 + 24});
        // A concat of the ReLU (30×30) and a max-pooled input (16×16): an error badge and a problem.
        dragKindOntoCanvas(w, "MaxPool2d", view->mapFromScene(QPointF(220, 120)));
        dragKindOntoCanvas(w, "Concat", view->mapFromScene(QPointF(100, 360)));
        wire(w, "input", "maxpool2d");
        wire(w, "relu", "concat");
        wire(w, "maxpool2d", "concat");
        QVERIFY(w.problems()->count() >= 1);
        QVERIFY(w.problems()->item(0)->text().contains("H×W"));
        QVERIFY(w.canvas()->item("concat")->toolTip().contains("H×W"));
        // Group conv2d, relu and maxpool2d into a module (one step), then expand it back.
        const nw::Analysis before = w.analysis();
        w.canvas()->scene()->clearSelection();
        for (const char* id : {"conv2d", "relu", "maxpool2d"}) w.canvas()->item(id)->setSelected(true);
        QCOMPARE(w.groupSelection("Front"), std::string());
        QVERIFY(w.canvas()->item("front") && !w.canvas()->item("conv2d"));
        QCOMPARE(w.analysis().totals.params, before.totals.params);
        QCOMPARE(w.problems()->count(), before.diagnostics.size() > 0 ? w.problems()->count() : 0);
        QCOMPARE(w.canvas()->selectedNode(), std::string("front"));
        QTest::keyClick(&w, Qt::Key_G, Qt::ControlModifier | Qt::ShiftModifier);  // Module › Expand
        QVERIFY(w.canvas()->item("front.conv2d") && !w.canvas()->item("front"));
        QCOMPARE(w.analysis().totals.params, before.totals.params);
        QCOMPARE(w.analysis().totals.macs, before.totals.macs);
        // Undo it all back to the file as opened, then redo it all.
        const nw::Document end = w.document();
        const int steps = w.undoStack()->count();
        for (int i = 0; i < steps; ++i) QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(w.document() == start);
        QCOMPARE(w.canvas()->nodeCount(), 1);
        for (int i = 0; i < steps; ++i) QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(w.document() == end);
        // Save, reopen in a new window, compare.
        const std::string saved = tmp.filePath("saved.netw").toStdString();
        QCOMPARE(w.saveFile(saved), std::string());
        MainWindow again;
        QCOMPARE(again.openFile(saved, true), std::string());
        QVERIFY(again.document() == end);
        QCOMPARE(again.analysis().totals.macs, w.analysis().totals.macs);
        QVERIFY(again.recentFiles().contains(QFileInfo(QString::fromStdString(saved)).absoluteFilePath()));
    }

    void openAModuleEditItAndEveryInstanceFollows() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("googlenet"), true), std::string());
        const int top = w.canvas()->nodeCount();
        w.canvas()->selectNode("conv1");  // a BasicConv2d instance
        QTest::keyClick(&w, Qt::Key_E, Qt::ControlModifier);
        QCOMPARE(w.openModuleName(), std::string("BasicConv2d"));
        for (const char* id : {"conv", "bn", "relu", "x", "output:out"}) QVERIFY2(w.canvas()->item(id), id);
        // The body's shapes are those of its first instance.
        QVERIFY2(w.canvas()->nodeText("conv").contains("1×64×112×112"), qPrintable(w.canvas()->nodeText("conv")));
        // An edit inside the module changes every instance, inside every Inception too.
        w.canvas()->selectNode("bn");
        QTRY_COMPARE(w.inspector()->node(), std::string("bn"));
        auto* eps = qobject_cast<QDoubleSpinBox*>(w.inspector()->editor("eps"));
        QVERIFY(eps);
        eps->setValue(0.01);
        int bns = 0;
        for (const nw::FlatNode& n : w.flat().nodes)
            if (n.kind->name == "BatchNorm2d") {
                QCOMPARE(n.view().f("eps"), 0.01);
                ++bns;
            }
        QCOMPARE(bns, 57);
        // The module's outputs are fixed: a wire into one is refused with the reason.
        QVERIFY(w.canvas()->whyNot("relu", "output:out").find("outputs are fixed") != std::string::npos);
        // One wire per input: relu's only input is taken.
        QVERIFY(w.canvas()->whyNot("x", "relu").find("every input of relu is connected") != std::string::npos);
        // Back to the network (Alt+Up); undo brings the old eps back everywhere.
        QTest::keyClick(&w, Qt::Key_Up, Qt::AltModifier);
        QVERIFY(w.openModuleName().empty());
        QCOMPARE(w.canvas()->nodeCount(), top);
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        for (const nw::FlatNode& n : w.flat().nodes)
            if (n.kind->name == "BatchNorm2d") QCOMPARE(n.view().f("eps"), 0.001);
    }

    void compareShowsTheBottleneckSavingAtAGlance() {
        QTemporaryDir tmp;
        const std::string path = tmp.filePath("bottleneck.netw").toStdString();
        std::ofstream(path) << R"({"format": "netwright", "version": 1, "name": "5x5 vs bottleneck", "nodes": [
            {"id": "in", "kind": "Input", "attrs": {"channels": 192, "height": 28, "width": 28}},
            {"id": "direct", "kind": "Conv2d", "attrs": {"out_channels": 32, "kernel_size": 5, "padding": 2, "bias": false}},
            {"id": "reduce", "kind": "Conv2d", "attrs": {"out_channels": 16, "kernel_size": 1, "bias": false}},
            {"id": "conv5", "kind": "Conv2d", "attrs": {"out_channels": 32, "kernel_size": 5, "padding": 2, "bias": false}}],
          "edges": [{"from": "in", "to": "direct"}, {"from": "in", "to": "reduce"}, {"from": "reduce", "to": "conv5"}]})";
        MainWindow w;
        QCOMPARE(w.openFile(path, true), std::string());
        nw::ui::CompareDialog dialog(w.document(), {"reduce", "conv5"});
        dialog.sideA()->setCurrentIndex(dialog.sideA()->findText("direct (Conv2d)"));
        dialog.sideB()->setCurrentIndex(dialog.sideB()->findText("The selection (2 nodes)"));
        QCOMPARE(dialog.comparison().totalA.macs, int64_t{120'422'400});
        QCOMPARE(dialog.comparison().totalB.macs, int64_t{2'408'448 + 10'035'200});
        const int last = dialog.table()->rowCount() - 1;
        QCOMPARE(dialog.table()->item(last, 0)->text(), QString("Total MACs"));
        QVERIFY(dialog.table()->item(last, 5)->text().startsWith("B / A = 0.103×"));
        QCOMPARE(dialog.table()->item(last, 4)->text(), QString("120,422,400"));
        if (qEnvironmentVariableIsSet("NETWRIGHT_TEST_SHOTS")) {  // for looking at it
            dialog.show();
            QVERIFY(QTest::qWaitForWindowExposed(&dialog));
            dialog.grab().save(qEnvironmentVariable("NETWRIGHT_TEST_SHOTS") + "/compare.png");
        }
        // Another file on side B.
        QCOMPARE(dialog.addFile(1, preset("lenet5")), std::string());
        QCOMPARE(dialog.comparison().totalB.params, int64_t{61706});
        QVERIFY(!dialog.addFile(1, tmp.filePath("missing.netw").toStdString()).empty());
    }

    void clickAWireAndDeleteItToDisconnect() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        const nw::Document start = w.document();
        QGraphicsView* view = w.canvas();
        // Click halfway between conv1's output and relu1's input.
        const QPointF mid = (w.canvas()->item("conv1")->scenePos() + w.canvas()->item("relu1")->scenePos()) / 2;
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->mapFromScene(mid));
        const auto wires = w.canvas()->selectedEdges();
        QCOMPARE(wires.size(), size_t{1});
        QCOMPARE(wires[0].from + "→" + wires[0].to, std::string("conv1→relu1"));
        QTest::keyClick(view, Qt::Key_Delete);
        QCOMPARE(w.document().graph.edges.size(), start.graph.edges.size() - 1);
        QVERIFY(w.problems()->count() >= 1);
        QVERIFY(w.problems()->item(0)->text().contains("relu1"));
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(w.document() == start);
        // Nodes show their written attributes and their cost.
        const QString text = w.canvas()->nodeText("conv1");
        QVERIFY2(text.contains("kernel_size 5") && text.contains("params"), qPrintable(text));
    }

    void copyPasteDuplicateAndRepeat() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("googlenet"), true), std::string());
        const size_t nodes = w.document().graph.nodes.size();
        const int64_t macs = w.analysis().totals.macs;
        w.canvas()->selectNode("inception3a");
        QTest::keyClick(&w, Qt::Key_C, Qt::ControlModifier);
        QVERIFY(QApplication::clipboard()->text().contains("\"Inception\""));  // plain .netw for other programs
        QTest::keyClick(&w, Qt::Key_V, Qt::ControlModifier);
        QCOMPARE(w.document().graph.nodes.size(), nodes + 1);
        QVERIFY(w.canvas()->item("inception3a2"));
        QCOMPARE(w.canvas()->selectedNode(), std::string("inception3a2"));
        QTest::keyClick(&w, Qt::Key_D, Qt::ControlModifier);  // duplicate the pasted one
        QVERIFY(w.canvas()->item("inception3a22"));
        QCOMPARE(w.undoStack()->count(), 2);
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(w.document().graph.nodes.size(), nodes);
        QCOMPARE(w.analysis().totals.macs, macs);
        // Paste into another window: the module definitions travel with the nodes.
        MainWindow other;
        QCOMPARE(other.openFile(preset("lenet5"), true), std::string());
        QCOMPARE(other.paste(), std::string());
        QVERIFY(other.document().findModule("Inception") && other.document().findModule("BasicConv2d"));
        // Repeat is for module instances; a layer says why not.
        w.canvas()->selectNode("maxpool1");
        QVERIFY(w.repeatSelected(2).find("only module instances repeat") != std::string::npos);
        QVERIFY(w.statusBar()->currentMessage().contains("only module instances repeat"));
    }

    void runPanelRunsASampleShowsTopClassesTimesAndFeatureMaps() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        nw::ui::RunPanel* run = w.runPanel();
        const std::string sample = nw::dataDir() + "/resources/samples/" +
                                   QDir(QString::fromStdString(nw::dataDir() + "/resources/samples"))
                                       .entryList({"*.png"}, QDir::Files, QDir::Name)
                                       .first()
                                       .toStdString();
        // Dropping an image file on the panel chooses it.
        QMimeData files;
        files.setUrls({QUrl::fromLocalFile(QString::fromStdString(sample))});
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &files, Qt::LeftButton, {});
        QCoreApplication::sendEvent(run, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &files, Qt::LeftButton, {});
        QCoreApplication::sendEvent(run, &drop);
        QVERIFY(!run->preview()->pixmap().isNull());
        QVERIFY(run->status()->text().contains("Ready"));
        QSignalSpy done(run, &nw::ui::RunPanel::finished);
        run->start();
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().first().toBool(), true);
        const auto& top = run->chart()->entries();
        QCOMPARE(top.size(), size_t{5});
        float sum = 0;
        for (size_t i = 0; i < top.size(); ++i) {
            sum += top[i].second;
            if (i) QVERIFY(top[i - 1].second >= top[i].second);
        }
        QVERIFY(sum > 0 && sum <= 1.0001f);
        QCOMPARE(run->timings()->rowCount(), static_cast<int>(run->outcome().times.size()));
        QVERIFY(run->timings()->rowCount() >= 10);
        // Click conv1 on the canvas: its 6 feature maps of 28×28.
        QGraphicsView* view = w.canvas();
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {},
                          view->mapFromScene(w.canvas()->item("conv1")->scenePos()));
        QCOMPARE(w.canvas()->selectedNode(), std::string("conv1"));
        QVERIFY(!run->featureMaps()->pixmap().isNull());
        QCOMPARE(run->outcome().maps.at("conv1").shape, (nw::Shape{1, 6, 28, 28}));
        const QImage grid = nw::ui::featureMapImage(run->outcome().maps.at("conv1"));
        QCOMPARE(grid.size(), QSize(3 * 29, 2 * 29));  // 6 channels: 3 columns × 2 rows, 1-pixel gaps
        // An image that cannot be read, and weights that do not fit: a message, nothing lost.
        QTemporaryDir tmp;
        const std::string junk = tmp.filePath("junk.png").toStdString();
        std::ofstream(junk) << "not an image";
        QVERIFY(!run->setImage(junk).empty());
        QVERIFY(run->status()->text().contains("junk.png"));
        nw::TensorMap wrong;
        wrong.emplace("conv1.weight", nw::Tensor({6, 1, 3, 3}));
        const std::string weights = tmp.filePath("wrong.safetensors").toStdString();
        QCOMPARE(nw::writeSafetensors(weights, wrong), std::string());
        QVERIFY(run->loadWeights(weights).find("do not fit") != std::string::npos);
        QVERIFY(run->status()->text().contains("conv1.weight has shape 6×1×3×3"));
        done.clear();
        run->start();  // still the sample and random weights
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().first().toBool(), true);
        // Cancel stops a run at the next layer.
        QCOMPARE(w.openFile(preset("resnet50"), true), std::string());
        QCOMPARE(run->setImage(sample), std::string());
        done.clear();
        run->start();
        run->cancel();
        QVERIFY(done.wait(60000));
        QCOMPARE(done.first().first().toBool(), false);
        QVERIFY(run->status()->text().contains("cancelled"));
    }

    void exportsRecentFilesThemeAndSortedSummary() {
        QTemporaryDir tmp;
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        QVERIFY(w.recentFiles().first().endsWith("lenet5.netw"));
        const QString svg = tmp.filePath("canvas.svg");
        QVERIFY(w.canvas()->exportSvg(svg));
        QFile svgFile(svg);
        QVERIFY(svgFile.open(QIODevice::ReadOnly));
        const QByteArray svgText = svgFile.readAll();
        QVERIFY(svgText.contains("<svg") && svgText.contains("conv1"));
        // CSV: a header, one row per layer, the totals last, numbers as plain integers.
        const QStringList csv = QString::fromStdString(w.summaryCsv()).trimmed().split('\n');
        QCOMPARE(csv.first(), QString("Layer,Kind,Output,Params,MACs,Memory,Receptive field,#"));
        QVERIFY(csv.last().startsWith("Total,,1×10,61706,"));
        // Sorting by MACs keeps the totals at the bottom, in both directions.
        w.summary()->sortByColumn(4, Qt::DescendingOrder);
        QCOMPARE(w.summary()->model()->index(w.summary()->model()->rowCount() - 1, 0).data().toString(),
                 QString("Total"));
        QCOMPARE(w.summary()->model()->index(0, 0).data().toString(), QString("conv2"));
        w.summary()->sortByColumn(4, Qt::AscendingOrder);
        QCOMPARE(w.summary()->model()->index(w.summary()->model()->rowCount() - 1, 0).data().toString(),
                 QString("Total"));
        w.summary()->sortByColumn(7, Qt::AscendingOrder);  // # : back to run order
        QCOMPARE(w.summary()->model()->index(0, 0).data().toString(), QString("input"));
        QCOMPARE(w.summary()->model()->index(1, 0).data().toString(), QString("conv1"));
        // Shapes on wires toggle; the dark theme is remembered.
        w.canvas()->setWireLabels(false);
        QCOMPARE(w.canvas()->wireLabelCount(), 0);
        w.canvas()->setWireLabels(true);
        QCOMPARE(w.canvas()->wireLabelCount(), static_cast<int>(w.document().graph.edges.size()));
        w.setDarkTheme(true);
        QVERIFY(QApplication::palette().color(QPalette::Base).lightness() < 60);
        QVERIFY(QSettings().value("view/dark").toBool());
        w.setDarkTheme(false);
        QVERIFY(QApplication::palette().color(QPalette::Base).lightness() > 200);
    }

    void everyPresetShowsCollapsedModulesAndTheCoreTotals() {
        const QDir dir(QString::fromStdString(nw::dataDir() + "/presets"));
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
            const int last = w.summary()->model()->rowCount() - 1;
            QCOMPARE(w.summary()->model()->index(last, 0).data().toString(), QString("Total"));
            QCOMPARE(w.summary()->model()->index(last, 3).data(Qt::UserRole).toLongLong(), a.totals.params);
            QCOMPARE(w.summary()->model()->index(last, 4).data(Qt::UserRole).toLongLong(), a.totals.macs);
            QCOMPARE(w.problems()->count(), 0);
            // ... and so does the command-line tool.
            QProcess cli;
            cli.start(NETWRIGHT_CLI, {"summary", "--json", QString::fromStdString(path)});
            QVERIFY(cli.waitForFinished(30000));
            const QJsonObject totals =
                QJsonDocument::fromJson(cli.readAllStandardOutput()).object()["totals"].toObject();
            QCOMPARE(totals["params"].toInteger(), w.analysis().totals.params);
            QCOMPARE(totals["macs"].toInteger(), w.analysis().totals.macs);
        }
        // ResNet-50 is stem + 4 stages of collapsed Bottlenecks + head, not 170 boxes.
        QCOMPARE(w.openFile(preset("resnet50"), true), std::string());
        QCOMPARE(w.canvas()->nodeCount(), 13);
        QVERIFY(w.summary()->model()->rowCount() > 170);
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
        auto shape = [&](const char* node) {
            return w.analysis().nodes[static_cast<size_t>(w.flat().find(node))].outputs.at(0);
        };
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
        // Rubber-band three nodes from an empty spot, then drag one of them: all three move, one step.
        const QRectF around =
            w.canvas()->item("conv1")->sceneBoundingRect().united(w.canvas()->item("pool1")->sceneBoundingRect());
        const QPoint bandFrom = view->mapFromScene(around.topLeft() - QPointF(30, 10));
        const QPoint bandTo = view->mapFromScene(around.bottomRight() + QPointF(30, 10));
        QTest::mousePress(view->viewport(), Qt::LeftButton, {}, bandFrom);
        QMouseEvent band(QEvent::MouseMove, bandTo, view->viewport()->mapToGlobal(bandTo), Qt::NoButton, Qt::LeftButton,
                         {});
        QCoreApplication::sendEvent(view->viewport(), &band);
        QTest::mouseRelease(view->viewport(), Qt::LeftButton, {}, bandTo);
        auto selected = w.canvas()->selectedNodes();
        std::sort(selected.begin(), selected.end());
        QCOMPARE(selected, (std::vector<std::string>{"conv1", "pool1", "relu1"}));
        const QPoint grab = view->mapFromScene(w.canvas()->item("relu1")->scenePos());
        QTest::mousePress(view->viewport(), Qt::LeftButton, {}, grab);
        QMouseEvent carry(QEvent::MouseMove, grab + QPoint(120, 0),
                          view->viewport()->mapToGlobal(grab + QPoint(120, 0)), Qt::NoButton, Qt::LeftButton, {});
        QCoreApplication::sendEvent(view->viewport(), &carry);
        QTest::mouseRelease(view->viewport(), Qt::LeftButton, {}, grab + QPoint(120, 0));
        QCOMPARE(w.undoStack()->count(), 1);
        for (const char* id : {"conv1", "relu1", "pool1"})
            QVERIFY2(w.document().graph.find(id)->pos->x > start.graph.find(id)->pos->x + 80, id);
        QCOMPARE(w.document().graph.find("conv2")->pos->x, start.graph.find("conv2")->pos->x);
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(w.document() == start);
        // The middle button pans.
        const int scrolled = view->verticalScrollBar()->value(), edits = w.undoStack()->count();
        const QPoint c = view->viewport()->rect().center();
        QTest::mousePress(view->viewport(), Qt::MiddleButton, {}, c);
        QMouseEvent pan(QEvent::MouseMove, c - QPoint(0, 80), view->viewport()->mapToGlobal(c - QPoint(0, 80)),
                        Qt::NoButton, Qt::MiddleButton, {});
        QCoreApplication::sendEvent(view->viewport(), &pan);
        QTest::mouseRelease(view->viewport(), Qt::MiddleButton, {}, c - QPoint(0, 80));
        QCOMPARE(view->verticalScrollBar()->value(), std::min(scrolled + 80, view->verticalScrollBar()->maximum()));
        QCOMPARE(w.undoStack()->count(), edits);  // panning is not an edit
        QVERIFY(w.document() == start);
        // Auto-layout left to right (Graphviz on a worker thread, then animated): one step; the
        // network now runs along x.
        QSignalSpy laidOut(&w, &MainWindow::layoutFinished);
        QTest::keyClick(&w, Qt::Key_L, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(laidOut.wait(20000));
        QCOMPARE(w.undoStack()->index(), 1);
        const auto x = [&](const char* id) { return w.document().graph.find(id)->pos->x; };
        QVERIFY(x("input") < x("conv1") && x("conv1") < x("fc3"));
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(w.document() == start);
    }

    void thePresetDialogListsEveryPresetWithItsCounts() {
        nw::ui::PresetDialog dialog(nw::dataDir() + "/presets");
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
        QCOMPARE(dialog.chosenPath(), nw::dataDir() + "/presets/resnet50.netw");
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
        QCOMPARE(visible, 5);  // MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, GlobalAvgPool, GlobalMaxPool
    }
};

QTEST_MAIN(MainWindowTest)
#include "test_main_window.moc"
