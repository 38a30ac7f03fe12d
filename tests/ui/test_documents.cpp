// Never losing work in the designer window: replacing a document with unsaved edits asks first and
// Cancel keeps them; presets open as untitled copies and are never written over; opening a module
// changes nothing; File › New gives a blank network.
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUndoStack>
#include <QUrl>
#include <QDragEnterEvent>
#include <functional>

#include "graph_view.h"
#include "importer.h"
#include "weights.h"
#include "inspector.h"
#include "main_window.h"
#include "run_panel.h"
#include "ui_test_support.h"

using nw::ui::MainWindow;
using nw::ui::test::preset;

namespace {
QByteArray bytes(const QString& path) {
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return f.readAll();
}
// Once the next modal dialog is up, `act` answers it.
void whenDialog(const std::function<void(QWidget*)>& act) {
    QTimer::singleShot(0, [act] {
        for (int i = 0; i < 200; ++i) {
            if (QWidget* modal = QApplication::activeModalWidget()) return act(modal);
            QTest::qWait(10);
        }
    });
}
// Once the next file dialog is up, `path` is chosen in it and accepted; then `after` runs.
void choose(const QString& path, const char* why, const std::function<void()>& after = {}) {
    whenDialog([path, why, after](QWidget* modal) {
        auto* dialog = qobject_cast<QFileDialog*>(modal);
        QVERIFY2(dialog, why);
        dialog->selectFile(path);
        QMetaObject::invokeMethod(dialog, "accept");
        if (after) after();
    });
}
void answer(QMessageBox::StandardButton button) {
    whenDialog([button](QWidget* w) {
        auto* box = qobject_cast<QMessageBox*>(w);
        QVERIFY2(box, "expected the unsaved-changes question");
        box->button(button)->click();
    });
}
QAction* action(MainWindow& w, const QString& text) {
    for (QAction* a : w.menuBar()->actions().front()->menu()->actions())
        if (a->text().remove('&') == text) return a;
    return nullptr;
}
}  // namespace

class DocumentsTest : public QObject {
    Q_OBJECT
    QTemporaryDir config_;

private slots:
    void initTestCase() {
        nw::ui::test::isolate(config_);
        QApplication::setAttribute(Qt::AA_DontUseNativeDialogs);
    }

    void replacingAnEditedDocumentAsksAndCancelKeepsTheEdits() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        emit w.inspector()->edited("conv1", "out_channels", nw::AttrValue{int64_t{9}});
        const nw::Document edited = w.document();
        QVERIFY(w.isWindowModified());
        answer(QMessageBox::Cancel);
        action(w, "New")->trigger();  // File › New must ask first
        QVERIFY(w.document() == edited);
        QCOMPARE(w.undoStack()->count(), 1);  // the history is kept too
        QVERIFY(w.isWindowModified());
        answer(QMessageBox::Cancel);
        QVERIFY(!w.confirmDiscard());  // what Open, New from preset and Open recent ask
        QVERIFY(w.document() == edited);
        answer(QMessageBox::Discard);
        action(w, "New")->trigger();
        QCOMPARE(w.document().graph.nodes.size(), size_t{1});
        QCOMPARE(w.document().graph.nodes[0].kind, std::string("Input"));
        QVERIFY(!w.isWindowModified());
        QCOMPARE(w.undoStack()->count(), 0);
        QCOMPARE(w.filePath(), std::string());
    }

    void aPresetSavedAsksForAPathAndStaysAsShipped() {
        QTemporaryDir tmp;
        const QString shipped = QString::fromStdString(preset("lenet5"));
        const QByteArray before = bytes(shipped);
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QCOMPARE(w.openFile(shipped.toStdString(), true), std::string());
        QCOMPARE(w.filePath(), std::string());  // an untitled copy
        emit w.inspector()->edited("conv1", "out_channels", nw::AttrValue{int64_t{8}});
        const QString target = tmp.filePath("my_lenet.netw");
        choose(target, "Save must ask for a path");
        QTest::keyClick(&w, Qt::Key_S, Qt::ControlModifier);
        QTRY_VERIFY(QFile::exists(target));
        QCOMPARE(bytes(shipped), before);  // byte-identical
        QCOMPARE(w.filePath(), QFileInfo(target).absoluteFilePath().toStdString());
        QVERIFY(!w.isWindowModified());
        // From now on Save writes the person's file, without asking.
        emit w.inspector()->edited("conv1", "out_channels", nw::AttrValue{int64_t{7}});
        w.activateWindow();  // the file dialog had the focus
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(&w, Qt::Key_S, Qt::ControlModifier);
        QVERIFY(!w.isWindowModified());
        QVERIFY(bytes(target).contains("\"out_channels\": 7"));
        QCOMPARE(bytes(shipped), before);
    }

    // File › Export as ONNX model writes the network with the Run panel's weights (an imported
    // model's own), and the file imports back to the same weights; an edit that makes the weights
    // no longer fit drops them from the Run panel (which says why) and the export writes seeded ones.
    void theNetworkExportsToOnnxWithTheRunPanelsWeights() {
        QTemporaryDir tmp;
        const std::string model = NETWRIGHT_SOURCE_DIR "/tests/data/two_blocks.onnx";
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(model, true), std::string());
        const QString target = tmp.filePath("exported.onnx");
        choose(target, "Export must ask for a path");
        action(w, "Export as ONNX model…")->trigger();
        QTRY_VERIFY(QFile::exists(target));
        nw::Imported original = nw::openNetwork(model), back = nw::openNetwork(target.toStdString());
        QVERIFY(back.document);
        QCOMPARE(back.weights.size(), original.weights.size());
        for (const auto& [name, tensor] : original.weights) {
            auto it = back.weights.find(name);
            QVERIFY2(it != back.weights.end(), name.c_str());
            QVERIFY(it->second.data == tensor.data);
        }
        QVERIFY(back.document->findModule("Block"));

        // The edit leaves the model's weights unfit: the Run panel drops them at once and says why,
        // and the exports write seeded ones.
        QVERIFY(w.runPanel()->weights());
        emit w.inspector()->edited("fc", "out_features", nw::AttrValue{int64_t{5}});
        QVERIFY(!w.runPanel()->weights());
        QVERIFY2(w.runPanel()->status()->text().contains("fc.weight"), qPrintable(w.runPanel()->status()->text()));
        w.undoStack()->undo();  // undone: the model's weights are back
        QVERIFY(w.runPanel()->weights());
        QCOMPARE(w.runPanel()->weightsLabel(), std::string("from two_blocks.onnx"));
        w.undoStack()->redo();
        QVERIFY(!w.runPanel()->weights());
        std::vector<std::string> notes;
        const std::string again = tmp.filePath("edited.onnx").toStdString();
        QCOMPARE(w.exportOnnx(again, &notes), std::string());
        nw::Imported edited = nw::openNetwork(again);
        QVERIFY(edited.document);
        QCOMPARE(edited.weights.at("fc.weight").shape, (nw::Shape{5, edited.weights.at("fc.weight").shape[1]}));

        // File › Export as PyTorch project, into a folder chosen in the dialog.
        const QString project = tmp.filePath("project");
        QVERIFY(QDir().mkpath(project));
        choose(project, "Export must ask for a folder");
        action(w, "Export as PyTorch project…")->trigger();
        QTRY_VERIFY(QFile::exists(project + "/weights.safetensors"));
        QVERIFY(bytes(project + "/model.py").contains("class Block(nn.Module):"));
        QVERIFY(bytes(project + "/model.py").contains("self.fc = nn.Linear("));
        QVERIFY(QFile::exists(project + "/train.py") && QFile::exists(project + "/README.md"));
        const nw::FlatGraph flat = nw::flatten(w.document());
        const nw::Analysis analysis = nw::analyze(flat);
        nw::WeightsResult written = nw::loadWeights(flat, analysis, (project + "/weights.safetensors").toStdString());
        QVERIFY(written.error.empty() && written.problems.empty());

        // Into the same folder again: the window asks before replacing the project; No keeps it.
        QFile mine(project + "/model.py");
        QVERIFY(mine.open(QIODevice::WriteOnly));
        mine.write("# my own changes\n");
        mine.close();
        for (QMessageBox::StandardButton reply : {QMessageBox::No, QMessageBox::Yes}) {
            QString asked;
            choose(project, "Export must ask for a folder", [&asked, reply] {
                whenDialog([&asked, reply](QWidget* next) {
                    auto* box = qobject_cast<QMessageBox*>(next);
                    QVERIFY2(box, "expected the question before replacing the project");
                    asked = box->text();
                    box->button(reply)->click();
                    // Yes: then the note on the weights, as before.
                    if (reply == QMessageBox::Yes)
                        whenDialog([](QWidget* note) { static_cast<QDialog*>(note)->accept(); });
                });
            });
            action(w, "Export as PyTorch project…")->trigger();
            QTRY_VERIFY(asked.contains("model.py") && asked.contains("weights.safetensors"));
            if (reply == QMessageBox::No) QCOMPARE(bytes(project + "/model.py"), QByteArray("# my own changes\n"));
        }
        QTRY_VERIFY(bytes(project + "/model.py").contains("class Block(nn.Module):"));
    }

    // An ONNX model opens (File › Open, or dropped on the canvas) with its modules recovered and its
    // weights in the Run panel, as an untitled document: Save asks where and never writes the model.
    void anOnnxModelOpensByOpenAndByDrop() {
        const QString model = QStringLiteral(NETWRIGHT_SOURCE_DIR "/tests/data/two_blocks.onnx");
        const QByteArray before = bytes(model);
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.openFile(model.toStdString(), true), std::string());
        QCOMPARE(w.filePath(), std::string());
        QVERIFY(w.document().findModule("Block"));
        QVERIFY(w.canvas()->item("block1") && w.canvas()->item("block2"));
        QCOMPARE(w.runPanel()->weightsLabel(), std::string("from two_blocks.onnx"));
        QCOMPARE(w.document().name, std::string("two_blocks"));
        action(w, "New")->trigger();
        QVERIFY(!w.canvas()->item("block1"));

        // Dropped from a file manager onto the canvas.
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(model)});
        QWidget* target = w.canvas()->viewport();
        const QPoint at = target->rect().center();
        QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &drop);
        QVERIFY(drop.isAccepted());
        QVERIFY(w.canvas()->item("block2"));
        QCOMPARE(w.runPanel()->weightsLabel(), std::string("from two_blocks.onnx"));

        // Save asks for a .netw path; cancelled, nothing is written anywhere.
        emit w.inspector()->edited("fc", "out_features", nw::AttrValue{int64_t{5}});
        bool asked = false;
        whenDialog([&asked](QWidget* modal) {
            auto* dialog = qobject_cast<QFileDialog*>(modal);
            asked = dialog != nullptr;
            if (dialog) QMetaObject::invokeMethod(dialog, "reject");
        });
        QTest::keyClick(&w, Qt::Key_S, Qt::ControlModifier);
        QTRY_VERIFY(asked);
        QCOMPARE(bytes(model), before);
        QVERIFY(w.isWindowModified());
        // A file that is not a network is not taken: the edited document stays.
        const nw::Document edited = w.document();
        QMimeData other;
        other.setUrls({QUrl::fromLocalFile(QStringLiteral(NETWRIGHT_SOURCE_DIR "/README.md"))});
        QDropEvent refused(at, Qt::CopyAction, &other, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &refused);
        QVERIFY(w.document() == edited);
        QVERIFY(w.isWindowModified());
    }

    void openingAModuleChangesNothing() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(preset("resnet18"), true), std::string());
        QCOMPARE(w.openModule("BasicBlock"), std::string());
        QCOMPARE(w.undoStack()->count(), 0);
        QVERIFY(!w.isWindowModified());
        QVERIFY(w.canvas()->item("conv1"));  // laid out and drawn all the same
        w.closeModule();
        QVERIFY(!w.isWindowModified());
    }

    // With nothing selected the inspector edits the network's name and description: one undo step.
    void theNetworkCanBeRenamed() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        w.canvas()->selectNode("");
        QTest::qWait(20);
        auto* name = w.inspector()->findChild<QLineEdit*>("network:name");
        QVERIFY(name);
        QCOMPARE(name->text(), QString("LeNet-5"));
        name->setFocus();
        name->selectAll();
        QTest::keyClicks(name, "My LeNet");
        QTest::keyClick(name, Qt::Key_Return);
        QCOMPARE(w.document().name, std::string("My LeNet"));
        QVERIFY(w.windowTitle().startsWith("My LeNet"));
        QCOMPARE(w.undoStack()->count(), 1);
        w.undoStack()->undo();
        QCOMPARE(w.document().name, std::string("LeNet-5"));
    }
};

QTEST_MAIN(DocumentsTest)
#include "test_documents.moc"
