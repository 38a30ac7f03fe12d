#include "application.h"

#include <QMessageBox>
#include <QPointer>
#include <QStatusBar>
#include <QTimer>
#include <cstdio>
#include <new>

#include "main_window.h"

namespace nw::ui {

namespace {
QString failure;
}

Application::Application(int& argc, char** argv) : QApplication(argc, argv) {}

QString Application::lastFailure() { return failure; }

bool Application::notify(QObject* receiver, QEvent* event) {
    try {
        return QApplication::notify(receiver, event);
    } catch (const std::bad_alloc&) {
        failure = tr("out of memory");
    } catch (const std::exception& e) {
        failure = QString::fromLocal8Bit(e.what());
    } catch (...) {
        failure = tr("an unknown error");
    }
    std::fprintf(stderr, "netwright: an action failed: %s\n", failure.toLocal8Bit().constData());
    for (QWidget* w : topLevelWidgets())
        if (auto* window = qobject_cast<MainWindow*>(w)) {
            window->autosaveNow();
            window->statusBar()->showMessage(
                tr("That action failed (%1); your unsaved edits were autosaved").arg(failure));
        }
    // Told once the handler has unwound, outside whatever event failed.
    QTimer::singleShot(0, [text = failure] {
        QMessageBox::warning(
            activeWindow(), tr("Netwright"),
            tr("An action failed: %1\n\nYour unsaved edits were autosaved; save them when you can.").arg(text));
    });
    return false;
}

}  // namespace nw::ui
