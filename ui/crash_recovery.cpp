#include "crash_recovery.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLockFile>
#include <QStandardPaths>
#include <QUuid>
#include <algorithm>

#include "files.h"

namespace nw::ui {

RecoverySlot::RecoverySlot(QString id) : id_(std::move(id)), lock_(std::make_unique<QLockFile>(file(".lock"))) {
    lock_->setStaleLockTime(0);  // stale only when its process is gone, never by age: windows live for days
}

RecoverySlot::~RecoverySlot() = default;

QString RecoverySlot::directory() {
    const QByteArray env = qgetenv("NETWRIGHT_RECOVERY_DIR");
    return env.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + "/recovery"
                         : QString::fromLocal8Bit(env);
}

QString RecoverySlot::file(const char* suffix) const { return directory() + "/" + id_ + suffix; }

std::unique_ptr<RecoverySlot> RecoverySlot::create() {
    QDir().mkpath(directory());
    std::unique_ptr<RecoverySlot> slot(new RecoverySlot(QUuid::createUuid().toString(QUuid::WithoutBraces)));
    slot->lock_->tryLock(0);  // a fresh name: nobody else has it
    return slot;
}

std::vector<std::unique_ptr<RecoverySlot>> RecoverySlot::orphans() {
    std::vector<std::unique_ptr<RecoverySlot>> found;
    const QFileInfoList docs = QDir(directory()).entryInfoList({"*.netw"}, QDir::Files, QDir::Time);
    for (const QFileInfo& doc : docs) {
        std::unique_ptr<RecoverySlot> slot(new RecoverySlot(doc.completeBaseName()));
        // Taken only if its owner is gone: QLockFile removes a lock whose process has died.
        if (slot->lock_->tryLock(0)) found.push_back(std::move(slot));
    }
    return found;
}

std::string RecoverySlot::write(const std::string& netwText, const std::string& origin) {
    if (!QDir().mkpath(directory())) return "cannot create the recovery folder " + directory().toStdString();
    // The document first, then where it came from: a crash between the two leaves a usable file.
    const std::string doc = documentPath();
    if (std::string e = writeFileAtomic(doc, netwText); !e.empty()) return e;
    return writeFileAtomic(file(".origin").toStdString(), origin);
}

void RecoverySlot::remove() {
    QFile::remove(file(".netw"));
    QFile::remove(file(".origin"));
}

std::string RecoverySlot::documentPath() const { return file(".netw").toStdString(); }

std::string RecoverySlot::origin() const {
    std::string text;
    readFile(file(".origin").toStdString(), text, 1 << 16);
    return text;
}

}  // namespace nw::ui
