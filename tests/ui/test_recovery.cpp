// Crash recovery in the designer window, as a crash would leave it: a window that is destroyed
// without being closed (its process gone) leaves its autosave behind; the next window finds it.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStatusBar>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <fstream>
#include <sstream>
#include <QApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QUndoStack>

#include "crash_recovery.h"
#include "inspector.h"
#include "main_window.h"
#include "ui_test_support.h"
#include "netw_format.h"

using nw::ui::MainWindow;
using nw::ui::RecoverySlot;
using nw::ui::test::preset;

namespace {
std::string slurp(const QString& path) {
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
// One undoable edit through the inspector, as a person's would be.
void widenConv1(MainWindow& w, int64_t channels) {
    emit w.inspector()->edited("conv1", "out_channels", nw::AttrValue{channels});
}
}  // namespace

class RecoveryTest : public QObject {
    Q_OBJECT
    QTemporaryDir config_;
    QTemporaryDir recoveryDir_;

private slots:
    void initTestCase() { nw::ui::test::isolate(config_); }
    void init() {  // every test starts with an empty recovery folder
        QDir(recoveryDir_.path()).removeRecursively();
        qputenv("NETWRIGHT_RECOVERY_DIR", recoveryDir_.filePath("recovery").toUtf8());
    }

    void unsavedEditsAreAutosavedAndRestoredAfterACrash() {
        QTemporaryDir tmp;
        const QString mine = tmp.filePath("lenet.netw");  // a file of the person's own (a preset opens untitled)
        QVERIFY(QFile::copy(QString::fromStdString(preset("lenet5")), mine));
        std::string autosaved;
        {
            auto crashed = std::make_unique<MainWindow>();
            QCOMPARE(crashed->openFile(mine.toStdString(), true), std::string());
            QVERIFY(crashed->autosaveTimer()->isActive());
            QCOMPARE(crashed->autosaveTimer()->interval(), 60'000);
            crashed->autosaveNow();
            QVERIFY(!crashed->recoverySlot());  // nothing unsaved yet, nothing written
            widenConv1(*crashed, 12);
            QVERIFY(crashed->isWindowModified());
            crashed->autosaveNow();
            QVERIFY(crashed->recoverySlot());
            autosaved = crashed->recoverySlot()->documentPath();
            QVERIFY(QFileInfo::exists(QString::fromStdString(autosaved)));
            // While its window lives, a slot is nobody else's to restore.
            QVERIFY(RecoverySlot::orphans().empty());
        }  // destroyed without closing: as if the process died
        QCOMPARE(RecoverySlot::orphans().size(), size_t{1});
        MainWindow next;
        QCOMPARE(next.restoreRecovery(), std::string());
        QVERIFY(next.isWindowModified());
        const int64_t edited = 61706 - 156 - 2416 + (12 * 25 + 12) + (16 * 12 * 25 + 16);
        QCOMPARE(next.analysis().totals.params, edited);
        QCOMPARE(next.filePath(), QFileInfo(mine).absoluteFilePath().toStdString());
        // Saving puts the edits where they belong and removes the recovery file.
        const std::string saved = tmp.filePath("lenet_saved.netw").toStdString();
        QCOMPARE(next.saveFile(saved), std::string());
        QVERIFY(!QFileInfo::exists(QString::fromStdString(autosaved)));
        QVERIFY(!next.isWindowModified());
        QVERIFY(RecoverySlot::orphans().empty());
    }

    // The recovery record keeps the absolute path: a restore started from another working
    // directory, then Ctrl+S, writes the file the edits came from, not one of the same relative name.
    void aRestoreFromAnotherDirectorySavesToTheOriginalFile() {
        QTemporaryDir first, second;
        const QString original = first.filePath("net.netw"), unrelated = second.filePath("net.netw");
        QVERIFY(QFile::copy(QString::fromStdString(preset("lenet5")), original));
        QVERIFY(QFile::copy(QString::fromStdString(preset("lenet5")), unrelated));
        const QString before = QDir::currentPath();
        QDir::setCurrent(first.path());
        {
            auto crashed = std::make_unique<MainWindow>();
            QCOMPARE(crashed->openFile("net.netw", true), std::string());  // as typed: relative
            widenConv1(*crashed, 10);
            crashed->autosaveNow();
        }
        QDir::setCurrent(second.path());
        const std::string unrelatedBefore = slurp(unrelated);
        MainWindow next;
        next.show();
        QVERIFY(QTest::qWaitForWindowActive(&next));
        QCOMPARE(next.restoreRecovery(), std::string());
        QTest::keyClick(&next, Qt::Key_S, Qt::ControlModifier);  // File › Save
        QDir::setCurrent(before);
        QVERIFY(!next.isWindowModified());
        QCOMPARE(slurp(unrelated), unrelatedBefore);  // untouched
        nw::LoadResult saved = nw::loadNetw(original.toStdString());
        QVERIFY(saved.document);
        QCOMPARE(std::get<int64_t>(saved.document->graph.find("conv1")->attrs.at("out_channels")), int64_t{10});
    }

    // Two edited windows: closing one with Discard must not delete the other's recovery.
    void twoWindowsKeepSeparateRecoverySlots() {
        auto a = std::make_unique<MainWindow>();
        auto b = std::make_unique<MainWindow>();
        QCOMPARE(a->openFile(preset("lenet5"), true), std::string());
        QCOMPARE(b->openFile(preset("alexnet"), true), std::string());
        widenConv1(*a, 7);
        b->undoStack()->setClean();
        emit b->inspector()->edited("features.0", "out_channels", nw::AttrValue{int64_t{32}});
        QVERIFY(b->isWindowModified());
        a->autosaveNow();
        b->autosaveNow();
        QVERIFY(a->recoverySlot() && b->recoverySlot());
        QVERIFY(a->recoverySlot()->documentPath() != b->recoverySlot()->documentPath());
        const QString bFile = QString::fromStdString(b->recoverySlot()->documentPath());
        // A closes, its edits discarded (the close asks; answer Discard).
        QTimer::singleShot(0, [] {
            for (QWidget* w : QApplication::topLevelWidgets())
                if (auto* box = qobject_cast<QMessageBox*>(w)) box->button(QMessageBox::Discard)->click();
        });
        a->close();
        QVERIFY(QFileInfo::exists(bFile));
        a.reset();
        b.reset();  // B's process "dies" (kill -9): its autosave is what is offered next
        auto orphans = RecoverySlot::orphans();
        QCOMPARE(orphans.size(), size_t{1});
        QCOMPARE(QString::fromStdString(orphans[0]->documentPath()), bFile);
        MainWindow next;
        QCOMPARE(next.restoreRecovery(std::move(orphans[0])), std::string());
        QCOMPARE(next.document().name, std::string("AlexNet"));
    }

    // An autosave that cannot be written says so in the status bar and keeps saying it. (A folder
    // under a plain file cannot be made, even by root, as a read-only or full disk cannot be written.)
    void aFailedAutosaveShowsAMessage() {
        QTemporaryDir tmp;
        const QString blocker = tmp.filePath("not-a-folder");
        QVERIFY(QFile(blocker).open(QIODevice::WriteOnly));
        qputenv("NETWRIGHT_RECOVERY_DIR", (blocker + "/recovery").toUtf8());
        MainWindow w;
        QCOMPARE(w.openFile(preset("lenet5"), true), std::string());
        widenConv1(w, 9);
        w.autosaveNow();
        const QString message = w.statusBar()->currentMessage();
        QVERIFY2(message.startsWith("Autosave failed:"), qPrintable(message));
        QVERIFY2(message.contains("recovery"), qPrintable(message));
        // Once the folder can be written again, the next autosave succeeds and says so.
        qputenv("NETWRIGHT_RECOVERY_DIR", tmp.filePath("recovery").toUtf8());
        w.autosaveNow();
        QCOMPARE(w.statusBar()->currentMessage(), QString("Autosave works again"));
    }
};

QTEST_MAIN(RecoveryTest)
#include "test_recovery.moc"
