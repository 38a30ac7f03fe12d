// Crash recovery: each window autosaves its unsaved edits into a slot of its own in the recovery
// directory (NETWRIGHT_RECOVERY_DIR, else the local data directory), held by a lock file while the
// window lives. A slot whose owner has gone (the process crashed or was killed) is an orphan,
// offered back at the next start; one window's close or save never touches another's slot.
#pragma once
#include <QString>
#include <memory>
#include <string>
#include <vector>

class QLockFile;

namespace nw::ui {

class RecoverySlot {
public:
    ~RecoverySlot();  // releases the lock; the files stay, for a restart to offer
    // A new, empty slot owned by this process.
    static std::unique_ptr<RecoverySlot> create();
    // The slots whose owners are gone and that hold a document, newest first, each locked for
    // this process (so two starting windows cannot both take one).
    static std::vector<std::unique_ptr<RecoverySlot>> orphans();
    static QString directory();

    // The document first, then the absolute path of the file its edits belong to (empty: untitled),
    // each written atomically. Returns the error, or empty.
    std::string write(const std::string& netwText, const std::string& origin);
    void remove();                     // the files; the slot stays usable
    std::string documentPath() const;  // the autosaved .netw
    std::string origin() const;        // as written by write()

private:
    explicit RecoverySlot(QString id);
    QString id_;
    std::unique_ptr<QLockFile> lock_;
    QString file(const char* suffix) const;
};

}  // namespace nw::ui
