// Shared by the window's QtTest files: where the presets are, and a test run that touches none of
// the person's settings, recent files or crash-recovery slots.
#pragma once
#include <QStandardPaths>
#include <QTemporaryDir>
#include <string>

#include "main_window.h"

namespace nw::ui::test {

inline std::string preset(const std::string& name) { return dataDir() + "/presets/" + name + ".netw"; }

// Settings (XDG_CONFIG_HOME) and recovery slots in `dir`, for the whole test run.
inline void isolate(const QTemporaryDir& dir) {
    qputenv("XDG_CONFIG_HOME", dir.path().toUtf8());
    qputenv("NETWRIGHT_RECOVERY_DIR", dir.filePath("recovery").toUtf8());
    QStandardPaths::setTestModeEnabled(true);
}

}  // namespace nw::ui::test
