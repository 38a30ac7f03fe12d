// Editor habits in the designer window: undo reachable from an inspector field, toolbar buttons that
// keep their width, a Run panel that keeps its controls in view and says how long a small run took.
#include <QAbstractScrollArea>
#include <QContextMenuEvent>
#include <QGraphicsItem>
#include <QGraphicsView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <set>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QComboBox>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTextBrowser>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>

#include "inference.h"
#include "inspector.h"
#include "graph_view.h"
#include "main_window.h"
#include "run_panel.h"
#include "layer_help.h"
#include "registry.h"
#include "summary_model.h"
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
        nw::ui::test::openAndInspect(w, "lenet5", "conv1");
        if (QTest::currentTestFailed()) return;
        auto* channels = qobject_cast<QSpinBox*>(w.inspector()->editor("out_channels"));
        QVERIFY(channels);
        channels->setFocus();
        QTest::keyClick(channels, Qt::Key_Up);  // 6 → 7, one edit
        QTRY_COMPARE(w.undoStack()->count(), 1);
        QCOMPARE(std::get<int64_t>(w.document().graph.find("conv1")->attrs.at("out_channels")), int64_t{7});
        QTest::keyClick(QApplication::focusWidget() ? QApplication::focusWidget() : channels, Qt::Key_Z,
                        Qt::ControlModifier);
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
        QCOMPARE(run->setImage(nw::dataDir() + "/resources/samples/fashion_sneaker.png"), std::string());
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

    void pasteLandsOffsetFromTheLastCopy() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        w.canvas()->selectNode("conv1");
        w.copySelection();
        QCOMPARE(w.paste(), std::string());
        QCOMPARE(w.paste(), std::string());
        const nw::Node* first = w.document().graph.find("conv12");
        const nw::Node* second = w.document().graph.find("conv13");
        QVERIFY2(first && second, "two pasted copies");
        QCOMPARE(second->pos->x - first->pos->x, 40.0);
        QCOMPARE(second->pos->y - first->pos->y, 40.0);
        // At a place given (the canvas menu's Paste here): centred there.
        QCOMPARE(w.paste(QPointF(1000, 2000)), std::string());
        const nw::Node* placed =
            w.document().graph.nodes.back().id == "conv14" ? &w.document().graph.nodes.back() : nullptr;
        QVERIFY(placed);
        QCOMPARE(placed->pos->x, 1000.0);
        QCOMPARE(placed->pos->y, 2000.0);
    }

    void findNodeAndArrowKeysWalkTheGraph() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        QCOMPARE(w.findNode("pool2"), std::string("pool2"));
        QCOMPARE(w.canvas()->selectedNode(), std::string("pool2"));
        QCOMPARE(w.findNode("FC"), std::string("fc1"));      // part of an id, any case
        QCOMPARE(w.findNode("Linear"), std::string("fc1"));  // a kind
        QCOMPARE(w.findNode("nothing like it"), std::string());
        w.canvas()->selectNode("conv1");
        w.canvas()->setFocus();
        QTest::keyClick(w.canvas(), Qt::Key_Down);
        QCOMPARE(w.canvas()->selectedNode(), std::string("relu1"));
        QTest::keyClick(w.canvas(), Qt::Key_Down);
        QCOMPARE(w.canvas()->selectedNode(), std::string("pool1"));
        QTest::keyClick(w.canvas(), Qt::Key_Up);
        QCOMPARE(w.canvas()->selectedNode(), std::string("relu1"));
        // Left/Right: the branches fed by one node (an Inception block's four, in the course's net).
        QCOMPARE(w.openFile(preset("mnist_inception"), true), std::string());
        QCOMPARE(w.openModule("InceptionA"), std::string());
        const std::string start = "branch1x1";
        w.canvas()->selectNode(start);
        w.canvas()->setFocus();
        std::set<std::string> seen{start};
        for (int i = 0; i < 3; ++i) {
            QTest::keyClick(w.canvas(), Qt::Key_Right);
            seen.insert(w.canvas()->selectedNode());
        }
        QVERIFY2(seen.size() == 4, "Right visits the four branches");
        QTest::keyClick(w.canvas(), Qt::Key_Right);
        QCOMPARE(w.canvas()->selectedNode(), start);  // and comes round
    }

    void contextMenusActOnWhatWasClicked() {
        MainWindow w;
        w.resize(1440, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        QGraphicsView* view = w.canvas();
        view->centerOn(w.canvas()->item("conv1"));
        const QPoint onNode = view->mapFromScene(w.canvas()->item("conv1")->pos());
        QContextMenuEvent right(QContextMenuEvent::Mouse, onNode, view->viewport()->mapToGlobal(onNode));
        QCoreApplication::sendEvent(view->viewport(), &right);
        QMenu* menu = w.contextMenu();
        QVERIFY(menu);
        QStringList texts;
        for (QAction* a : menu->actions()) texts << a->text();
        QVERIFY2(texts.contains("Delete") && texts.contains("Duplicate") && texts.contains("Disconnect all wires"),
                 qPrintable(texts.join(", ")));
        for (QAction* a : menu->actions())
            if (a->text() == "Delete") a->trigger();
        QVERIFY(!w.document().graph.find("conv1"));
        QCOMPARE(w.undoStack()->count(), 1);
        // On the empty canvas: Add layer here › Activation › ReLU, placed at the click.
        const QPointF empty = w.canvas()->item("input")->pos() + QPointF(600, 0);
        const QPoint at = view->mapFromScene(empty);
        QContextMenuEvent onCanvas(QContextMenuEvent::Mouse, at, view->viewport()->mapToGlobal(at));
        QCoreApplication::sendEvent(view->viewport(), &onCanvas);
        QAction* relu = nullptr;
        for (QAction* a : w.contextMenu()->actions())
            if (a->menu() && a->text() == "Add layer here")
                for (QAction* cat : a->menu()->actions())
                    if (cat->menu() && cat->text() == "Activation")
                        for (QAction* k : cat->menu()->actions())
                            if (k->text() == "ReLU") relu = k;
        QVERIFY(relu);
        const size_t before = w.document().graph.nodes.size();
        relu->trigger();
        QCOMPARE(w.document().graph.nodes.size(), before + 1);
        const nw::Point p = *w.document().graph.nodes.back().pos;
        QVERIFY(std::abs(p.x - view->mapToScene(at).x()) < 1 && std::abs(p.y - view->mapToScene(at).y()) < 1);
    }

    // The dark theme dims what is disabled: an empty undo history's Redo must not read as enabled.
    void theDarkThemeDimsDisabledButtons() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        w.setDarkTheme(true);
        auto* toolbar = w.findChild<QToolBar*>("toolbar");
        auto* redo = toolbar->widgetForAction(w.findChild<QAction*>("redo"));
        QVERIFY(redo && !redo->isEnabled());
        const QPalette palette = QApplication::palette(redo);
        const QColor disabled = palette.color(QPalette::Disabled, QPalette::ButtonText);
        const QColor enabled = palette.color(QPalette::Active, QPalette::ButtonText);
        QVERIFY2(enabled.lightness() - disabled.lightness() > 60,
                 qPrintable(QString("enabled %1, disabled %2").arg(enabled.name(), disabled.name())));
        w.setDarkTheme(false);
    }

    // A conditional (`when`) node says its condition on the canvas.
    void conditionalNodesShowTheirCondition() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(preset("resnet18"), true), std::string());
        QCOMPARE(w.openModule("BasicBlock"), std::string());
        std::string conditional;
        for (const nw::Node& n : w.shown().graph.nodes)
            if (!n.when.empty()) conditional = n.id;
        QVERIFY(!conditional.empty());
        const QString text = w.canvas()->nodeText(conditional);
        QVERIFY2(text.contains("when " + QString::fromStdString(w.shown().graph.find(conditional)->when)),
                 qPrintable(text));
        // The condition is edited in the inspector: "shortcut == \"C\"" puts a projection in every block.
        w.canvas()->selectNode("downsample.0");
        QTRY_COMPARE(w.inspector()->node(), std::string("downsample.0"));
        QTest::qWait(20);
        auto* when = qobject_cast<QLineEdit*>(w.inspector()->editor("when"));
        QVERIFY(when);
        QCOMPARE(when->text().toStdString(), w.shown().graph.find("downsample.0")->when);
        const auto projections = [&] {
            int count = 0;
            for (const nw::FlatNode& n : w.flat().nodes) count += n.node == "downsample.0";
            return count;
        };
        QCOMPARE(projections(), 3);  // where the shape changes: layer2.0, layer3.0, layer4.0
        when->setText("true");
        emit when->editingFinished();
        QCOMPARE(w.undoStack()->count(), 1);
        QCOMPARE(w.undoStack()->undoText(), QString("Keep downsample.0 when true in BasicBlock"));
        QCOMPARE(projections(), 8);  // every block of the eight
        w.undoStack()->undo();
        QCOMPARE(projections(), 3);
    }

    // F1 on a selected layer: its documentation, ports, attributes and formulas, from the registry.
    void f1ShowsTheSelectedKindsFormulas() {
        MainWindow w;
        nw::ui::test::openAndInspect(w, "lenet5", "conv1");
        if (QTest::currentTestFailed()) return;
        w.canvas()->setFocus();
        QTest::keyClick(w.canvas(), Qt::Key_F1);
        QVERIFY(w.layerHelp());
        QTRY_VERIFY(w.layerHelp()->isVisible());
        QCOMPARE(w.layerHelp()->kind(), std::string("Conv2d"));
        const QString text = w.layerHelp()->page()->toPlainText();
        QVERIFY2(text.contains("C_out · H_out · W_out · (C_in / groups) · k_h · k_w"), qPrintable(text));
        QVERIFY(text.contains("out_channels"));
        QVERIFY(text.contains("number of filters"));  // the attribute's own documentation
        // Every kind has a page with its three formulas.
        for (const nw::LayerKind& k : nw::Registry::instance().kinds()) {
            w.showLayerHelp(k.name);
            QCOMPARE(w.layerHelp()->kind(), k.name);
            const QString page = w.layerHelp()->page()->toPlainText();
            QVERIFY2(page.contains("Output shape") && page.contains("Parameters") &&
                         page.contains(QString::fromStdString(k.formulas.macs)),
                     k.name.c_str());
        }
    }

    // Summary › Show: module instances as rows with their subtotals (as summary --depth 1).
    void theSummaryShowsModulesWithSubtotals() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(preset("bottleneck_demo"), true), std::string());
        auto rowText = [&](int row, int column) {
            return w.summaryModel()->data(w.summaryModel()->index(row, column)).toString();
        };
        QVERIFY(w.summaryModel()->rowCount() > 6);  // every layer
        w.summaryDepth()->setCurrentIndex(1);
        QCOMPARE(w.summaryModel()->rowCount(), 5);  // input, the two branches, concat, total (as summary --depth 1)
        QMap<QString, QString> macs;
        for (int r = 0; r < w.summaryModel()->rowCount(); ++r) macs[rowText(r, 0)] = rowText(r, 4);
        QCOMPARE(macs["direct"], QString("120,422,400"));
        QCOMPARE(macs["bottleneck"], QString("12,443,648"));
        // A row click selects and centres its node; back to every layer.
        const int row = w.summaryModel()->rowOf("bottleneck");
        QVERIFY(row >= 0);
        const QRect cell = w.summary()->visualRect(w.summaryModel()->index(row, 0));
        QTest::mouseClick(w.summary()->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(w.canvas()->selectedNode(), std::string("bottleneck"));
        w.summaryDepth()->setCurrentIndex(0);
        QCOMPARE(w.summaryModel()->rowCount(),
                 static_cast<int>(w.flat().nodes.size()) + 1);  // every layer and the total
    }

    // Tuple attributes take only what they can hold; Tab after an edit goes to the next field.
    void inspectorFieldsRefuseNonsenseAndTabMovesOn() {
        MainWindow w;
        nw::ui::test::openAndInspect(w, "lenet5", "conv1");
        if (QTest::currentTestFailed()) return;
        // Pairs are two spin boxes (height, width): nothing else can be typed.
        auto* kernelH = qobject_cast<QSpinBox*>(w.inspector()->editor("kernel_size.h"));
        auto* kernelW = qobject_cast<QSpinBox*>(w.inspector()->editor("kernel_size.w"));
        QVERIFY(kernelH && kernelW);
        QCOMPARE(kernelH->value(), 5);  // the file's scalar 5 is (5, 5)
        QCOMPARE(kernelW->value(), 5);
        kernelH->setFocus();
        QTRY_VERIFY(kernelH->hasFocus());
        kernelH->selectAll();
        QTest::keyClicks(kernelH, "abc");
        QCOMPARE(kernelH->value(), 5);
        // Padding (four numbers, same, valid) stays text that takes only what it can hold.
        auto* padding = qobject_cast<QLineEdit*>(w.inspector()->editor("padding"));
        QVERIFY(padding && padding->hasAcceptableInput());
        padding->setText("");
        QTest::keyClicks(padding, "abc");
        QVERIFY2(!padding->text().contains("abc"), qPrintable(padding->text()));
        kernelH->setFocus();
        kernelH->selectAll();
        QTest::keyClicks(kernelH, "3");
        QTest::keyClick(kernelH, Qt::Key_Tab);
        QTRY_COMPARE(w.undoStack()->count(), 1);
        QCOMPARE(std::get<std::vector<int64_t>>(w.document().graph.find("conv1")->attrs.at("kernel_size")),
                 (std::vector<int64_t>{3, 5}));
        // The inspector was rebuilt for the edit; the focus is still in it, on the field after kernel_size.
        // (The refocus is queued: waited for, not slept on, so a loaded machine does not fail it.)
        QTRY_VERIFY(QApplication::focusWidget() && QApplication::focusWidget()->objectName() == "attr:kernel_size.w");
        QWidget* focus = QApplication::focusWidget();
        QVERIFY2(focus && w.inspector()->isAncestorOf(focus),
                 focus ? qPrintable(focus->objectName() + " in " +
                                    (focus->parentWidget() ? focus->parentWidget()->objectName() : QString()))
                       : "no focus");
        QVERIFY2(focus->objectName() == "attr:kernel_size.w", qPrintable(focus->objectName()));  // the next field
    }

    // A module instance's repeat count is a field of its own: ResNet-18's layer2 from 2 blocks to 3.
    void theRepeatCountIsEditableInTheInspector() {
        MainWindow w;
        nw::ui::test::openAndInspect(w, "resnet18", "layer2");
        if (QTest::currentTestFailed()) return;
        auto* repeat = qobject_cast<QSpinBox*>(w.inspector()->editor("repeat"));
        QVERIFY(repeat);
        QCOMPARE(repeat->value(), 2);
        const int64_t before = w.analysis().totals.params;
        repeat->setValue(3);
        QTRY_COMPARE(w.document().graph.find("layer2")->repeat, int64_t{3});
        QCOMPARE(w.undoStack()->count(), 1);
        // One more BasicBlock 128 → 128: two 3×3 convolutions and two batch-norms.
        QCOMPARE(w.analysis().totals.params - before, int64_t{2 * (128 * 128 * 9) + 2 * 4 * 128});
    }

    // A problem whose fix the validator knows offers Apply fix: one click, one undo step, no error.
    // An edit redraws the boxes it touched where they are: the same items, their texts remade,
    // their wires kept unless they now end elsewhere.
    void anAttributeEditRedrawsNodesInPlace() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        // The network's fields, refilled for the opened file, show the description from its start.
        QApplication::processEvents();
        auto* description = w.findChild<QLineEdit*>("network:description");
        QVERIFY(description && description->text().startsWith("LeNet-5"));
        QCOMPARE(description->cursorPosition(), 0);
        QGraphicsItem* conv1 = w.canvas()->item("conv1");
        QGraphicsItem* pool1 = w.canvas()->item("pool1");
        QVERIFY(conv1 && pool1);
        const int wires = w.canvas()->wireCount();
        QVERIFY(w.canvas()->nodeText("pool1").contains("6×14×14"));
        emit w.inspector()->edited("conv1", "out_channels", nw::AttrValue{int64_t{8}});
        QCOMPARE(w.canvas()->item("conv1"), conv1);
        QCOMPARE(w.canvas()->item("pool1"), pool1);
        QVERIFY2(w.canvas()->nodeText("conv1").contains("out_channels 8"), qPrintable(w.canvas()->nodeText("conv1")));
        QVERIFY2(w.canvas()->nodeText("pool1").contains("8×14×14"), qPrintable(w.canvas()->nodeText("pool1")));
        QCOMPARE(w.canvas()->wireCount(), wires);
        w.undoStack()->undo();
        QVERIFY(w.canvas()->nodeText("pool1").contains("6×14×14"));
    }

    // After an edit the inspector keeps its fields and refills them (undo included); a text field
    // set back by undo takes the same text again as a new edit.
    void inspectorFieldsAreRefilledAfterAnEdit() {
        MainWindow w;
        nw::ui::test::openAndInspect(w, "lenet5", "conv1");
        if (QTest::currentTestFailed()) return;
        auto* channels = qobject_cast<QSpinBox*>(w.inspector()->editor("out_channels"));
        auto* padding = qobject_cast<QLineEdit*>(w.inspector()->editor("padding"));
        QVERIFY(channels && padding);
        channels->setValue(9);
        QTRY_COMPARE(w.undoStack()->count(), 1);
        QApplication::processEvents();
        QCOMPARE(qobject_cast<QSpinBox*>(w.inspector()->editor("out_channels")), channels);  // the same field
        w.undoStack()->undo();
        QTRY_COMPARE(channels->value(), 6);
        QCOMPARE(w.undoStack()->index(), 0);  // refilling is not an edit
        const QString before = padding->text();
        padding->setText("2");
        emit padding->editingFinished();
        QTRY_COMPARE(w.undoStack()->count(), 1);
        QCOMPARE(std::get<int64_t>(w.document().graph.find("conv1")->attrs.at("padding")), int64_t{2});
        w.undoStack()->undo();
        QTRY_COMPARE(padding->text(), before);
        padding->setText("2");
        emit padding->editingFinished();
        QTRY_COMPARE(w.undoStack()->index(), 1);
        QCOMPARE(std::get<int64_t>(w.document().graph.find("conv1")->attrs.at("padding")), int64_t{2});
        // Another node gets its own form.
        w.canvas()->selectNode("fc1");
        QTRY_VERIFY(w.inspector()->editor("in_features"));
        QVERIFY(!w.inspector()->editor("out_channels"));
    }

    void applyFixClearsTheError() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        emit w.inspector()->edited("fc1", "in_features", nw::AttrValue{int64_t{401}});
        QCOMPARE(w.analysis().errorCount(), size_t{1});
        auto* apply = w.findChild<QPushButton*>("applyFix");
        QVERIFY(apply && !apply->isEnabled());
        w.problems()->setCurrentRow(0);
        QVERIFY(apply->isEnabled());
        QVERIFY(apply->toolTip().contains("in_features"));
        QTest::mouseClick(apply, Qt::LeftButton);
        QCOMPARE(w.analysis().errorCount(), size_t{0});
        QCOMPARE(std::get<int64_t>(w.document().graph.find("fc1")->attrs.at("in_features")), int64_t{400});
        QCOMPARE(w.undoStack()->count(), 2);
        QCOMPARE(w.problems()->count(), 0);
    }
};

QTEST_MAIN(HabitsTest)
#include "test_habits.moc"
