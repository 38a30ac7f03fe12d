// netwright: the designer window. `netwright [FILE] [--screenshot OUT.png]` (contracts.md), plus
// what to show first: [--expand NODE] [--module NAME] [--run IMAGE] [--select NODE] [--dark].
#include <QApplication>
#include <QDockWidget>
#include <QEventLoop>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <cstdio>
#include <string>

#include "inference.h"
#include "application.h"
#include "crash_recovery.h"
#include "graph_view.h"
#include "main_window.h"
#include "run_panel.h"

namespace {
constexpr const char* kUsage =
    "usage: netwright [FILE.netw] [--screenshot OUT.png] [--expand NODE] [--module NAME] [--run IMAGE]\n"
    "                 [--select NODE] [--dark]\n";
}

int main(int argc, char** argv) {
    nw::ui::Application app(argc, argv);
    QApplication::setApplicationName("Netwright");
    QApplication::setOrganizationName("Netwright");
    std::string file, screenshot, expand, module, image, select;
    bool dark = false;
    const QStringList args = QApplication::arguments();
    for (int i = 1; i < args.size(); ++i) {
        const bool value = i + 1 < args.size();
        if (args[i] == "--screenshot" && value) screenshot = args[++i].toStdString();
        else if (args[i] == "--expand" && value) expand = args[++i].toStdString();
        else if (args[i] == "--module" && value) module = args[++i].toStdString();
        else if (args[i] == "--run" && value) image = args[++i].toStdString();
        else if (args[i] == "--select" && value) select = args[++i].toStdString();
        else if (args[i] == "--dark") dark = true;
        else if (args[i].startsWith("-")) {
            std::fputs(kUsage, stderr);
            return 2;
        } else file = args[i].toStdString();
    }
    if (file.empty()) file = nw::dataDir() + "/presets/lenet5.netw";  // the default network
    nw::ui::MainWindow window;
    std::string error = window.openFile(file, !screenshot.empty());
    if (dark) window.setDarkTheme(true);
    window.show();
    QApplication::processEvents();
    if (error.empty() && !expand.empty()) {
        window.canvas()->selectNode(expand);
        error = window.expandSelected();
    }
    if (error.empty() && !module.empty()) error = window.openModule(module);
    if (error.empty() && !image.empty()) {  // run, and wait for it, with the run panel in front
        nw::ui::RunPanel* run = window.runPanel();
        for (QDockWidget* d : window.findChildren<QDockWidget*>())
            if (d->widget() == run) {
                d->raise();
                if (auto* inspector = window.findChild<QDockWidget*>("inspector"))
                    window.resizeDocks({inspector, d}, {120, 700}, Qt::Vertical);
            }
        error = run->setImage(image);
        if (error.empty()) {
            QEventLoop wait;
            QObject::connect(run, &nw::ui::RunPanel::finished, &wait, &QEventLoop::quit);
            run->start();
            wait.exec();
            error = run->outcome().error;
        }
    }
    if (!screenshot.empty()) {
        if (!error.empty()) {
            std::fprintf(stderr, "netwright: %s\n", error.c_str());
            return 1;
        }
        QApplication::processEvents();
        window.canvas()->fit();
        if (!select.empty()) window.canvas()->focusNode(select);
        QApplication::processEvents();
        return window.saveScreenshot(screenshot) ? 0 : 1;
    }
    QTimer::singleShot(0, &window, [&window, select] {
        // Fitted once the window has its size (the view was fitted to its size before it was shown).
        window.canvas()->fit();
        if (!select.empty()) window.canvas()->focusNode(select);
        // A crash left unsaved edits behind: offer each back (the first in this window, others in
        // windows of their own); Later keeps it for the next start.
        bool first = true;
        for (auto& slot : nw::ui::RecoverySlot::orphans()) {
            const QString origin = QString::fromStdString(slot->origin());
            QMessageBox ask(QMessageBox::Question, QObject::tr("Restore unsaved changes?"),
                            QObject::tr("Netwright closed without saving your last changes to %1. Restore them?")
                                .arg(origin.isEmpty() ? QObject::tr("an untitled network") : origin),
                            QMessageBox::Yes | QMessageBox::Discard | QMessageBox::Ignore, &window);
            ask.button(QMessageBox::Ignore)->setText(QObject::tr("Later"));
            const int answer = ask.exec();
            if (answer == QMessageBox::Discard) slot->remove();
            if (answer != QMessageBox::Yes) continue;
            nw::ui::MainWindow* target = &window;
            if (!first) {
                target = new nw::ui::MainWindow;
                target->setAttribute(Qt::WA_DeleteOnClose);
                target->show();
            }
            first = false;
            if (std::string error = target->restoreRecovery(std::move(slot)); !error.empty())
                QMessageBox::warning(target, QObject::tr("Cannot restore"), QString::fromStdString(error));
        }
    });
    return QApplication::exec();
}
