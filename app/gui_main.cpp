// netwright: the designer window. `netwright [FILE] [--screenshot OUT.png]` (contracts.md).
#include <QApplication>
#include <QFileInfo>
#include <QMessageBox>
#include <QTimer>
#include <cstdio>
#include <string>

#include "graph_view.h"
#include "main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("Netwright");
    std::string file, screenshot;
    const QStringList args = QApplication::arguments();
    for (int i = 1; i < args.size(); ++i) {
        if (args[i] == "--screenshot" && i + 1 < args.size()) screenshot = args[++i].toStdString();
        else if (args[i].startsWith("-")) {
            std::fprintf(stderr, "usage: netwright [FILE.netw] [--screenshot OUT.png]\n");
            return 2;
        } else file = args[i].toStdString();
    }
    if (file.empty()) file = nw::ui::dataDir() + "/presets/lenet5.netw";  // the default network
    nw::ui::MainWindow window;
    const std::string error = window.openFile(file, !screenshot.empty());
    if (!screenshot.empty()) {
        if (!error.empty()) {
            std::fprintf(stderr, "netwright: %s", error.c_str());
            return 1;
        }
        window.show();
        QApplication::processEvents();
        window.canvas()->fit();
        return window.saveScreenshot(screenshot) ? 0 : 1;
    }
    window.show();
    QTimer::singleShot(0, &window, [&window] {
        window.canvas()->fit();
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
