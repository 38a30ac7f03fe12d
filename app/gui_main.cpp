// netwright: the designer window. `netwright [FILE] [--screenshot OUT.png]` (contracts.md), plus
// what to show first: [--expand NODE] [--module NAME] [--run IMAGE] [--select NODE] [--dark].
#include <QApplication>
#include <QDockWidget>
#include <QEventLoop>
#include <QFileInfo>
#include <QMessageBox>
#include <QTimer>
#include <cstdio>
#include <string>

#include "graph_view.h"
#include "main_window.h"
#include "run_panel.h"

namespace {
constexpr const char* kUsage =
    "usage: netwright [FILE.netw] [--screenshot OUT.png] [--expand NODE] [--module NAME] [--run IMAGE]\n"
    "                 [--select NODE] [--dark]\n";
}

int main(int argc, char** argv) {
    QApplication app(argc, argv);
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
    if (file.empty()) file = nw::ui::dataDir() + "/presets/lenet5.netw";  // the default network
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
    if (!select.empty()) window.canvas()->focusNode(select);
    QTimer::singleShot(0, &window, [&window, select] {
        if (select.empty()) window.canvas()->fit();
        // A crash left unsaved edits behind: offer them back.
        if (QFileInfo::exists(QString::fromStdString(nw::ui::MainWindow::recoveryFile())) &&
            QMessageBox::question(&window, QObject::tr("Restore unsaved changes?"),
                                  QObject::tr("Netwright closed without saving your last changes. Restore them?")) ==
                QMessageBox::Yes) {
            if (std::string error = window.restoreRecovery(); !error.empty())
                QMessageBox::warning(&window, QObject::tr("Cannot restore"), QString::fromStdString(error));
        }
    });
    return QApplication::exec();
}
