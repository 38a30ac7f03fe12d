// The designer's QApplication: an exception escaping an event handler (a bug, or memory running
// out) must not abort the window and lose the person's work. It is reported, every window's
// unsaved edits are autosaved at once, and the event loop goes on.
#pragma once
#include <QApplication>

namespace nw::ui {

class Application : public QApplication {
public:
    Application(int& argc, char** argv);
    bool notify(QObject* receiver, QEvent* event) override;
    // What the last escaped exception said (for tests), or empty.
    static QString lastFailure();
};

}  // namespace nw::ui
