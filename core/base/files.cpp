#include "files.h"
#include "shape.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace nw {

namespace {

std::string errnoText() { return std::strerror(errno); }

// The directory and the file name of `path`.
std::pair<std::string, std::string> splitPath(const std::string& path) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos) return {".", path};
    return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

constexpr const char* kTempInfix = ".tmp-";

// Temporary files of earlier saves of `name` in `dir` whose writer is gone: a live writer holds
// an flock on its file, and the kernel drops it when the process dies, however it dies.
void removeStaleTemporaries(const std::string& dir, const std::string& name) {
    DIR* d = opendir(dir.c_str());
    if (!d) return;
    const std::string prefix = name + kTempInfix;
    std::vector<std::string> stale;
    while (dirent* e = readdir(d)) {
        const std::string entry = e->d_name;
        if (entry.size() != prefix.size() + 6 || entry.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string full = dir + "/" + entry;
        int fd = ::open(full.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st {};
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0) stale.push_back(full);
        ::close(fd);
    }
    closedir(d);
    for (const auto& f : stale) ::unlink(f.c_str());
}

}  // namespace

std::string formatBytes(int64_t bytes) {
    return formatScaled(static_cast<double>(bytes), 1024, {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}, " ");
}

std::string checkReadable(const std::string& path, uint64_t maxBytes, uint64_t* size) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "cannot open: " + errnoText();
    if (S_ISDIR(st.st_mode)) return "is a directory, not a file";
    if (!S_ISREG(st.st_mode)) return "is not a regular file (a device, FIFO or socket); give a file";
    const auto bytes = static_cast<uint64_t>(st.st_size);
    if (bytes > maxBytes)
        return "is " + formatBytes(static_cast<int64_t>(bytes)) + ", more than the " +
               formatBytes(static_cast<int64_t>(maxBytes)) + " a file of this kind may have";
    if (size) *size = bytes;
    return {};
}

std::string readFile(const std::string& path, std::string& contents, uint64_t maxBytes) {
    uint64_t size = 0;
    if (std::string error = checkReadable(path, maxBytes, &size); !error.empty()) return error;
    // O_NONBLOCK: a FIFO swapped in after the check does not block the open.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return "cannot open: " + errnoText();
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return "is not a regular file (a device, FIFO or socket); give a file";
    }
    std::string out;
    out.reserve(static_cast<size_t>(size));
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::string err = "cannot read: " + errnoText();
            ::close(fd);
            return err;
        }
        if (n == 0) break;
        if (out.size() + static_cast<size_t>(n) > maxBytes) {
            ::close(fd);
            return "grew past the " + formatBytes(static_cast<int64_t>(maxBytes)) +
                   " a file of this kind may have while it was read";
        }
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    contents = std::move(out);
    return {};
}

std::string writeFileAtomic(const std::string& requested, const std::string& contents) {
    // A symbolic link is written through: the temporary file goes beside its target.
    std::string path = requested;
    if (char* real = ::realpath(requested.c_str(), nullptr)) {
        path = real;
        std::free(real);
    }
    const auto [dir, name] = splitPath(path);
    removeStaleTemporaries(dir, name);
    // The old file's permissions, else what a plain open() would give: 0666 less the umask.
    mode_t mode;
    struct stat old {};
    if (::stat(path.c_str(), &old) == 0) {
        if (!S_ISREG(old.st_mode)) return "cannot save over " + requested + ": it is not a regular file";
        mode = old.st_mode & 07777;
    } else {
        const mode_t mask = ::umask(0);
        ::umask(mask);
        mode = 0666 & ~mask;
    }
    std::string tmp = path + kTempInfix + "XXXXXX";
    int fd = mkstemp(tmp.data());
    if (fd < 0) return "cannot create a temporary file beside " + path + ": " + errnoText();
    flock(fd, LOCK_EX);  // marks it as being written (removeStaleTemporaries)
    auto fail = [&](const std::string& what) {
        std::string err = what + ": " + errnoText();
        ::close(fd);
        ::unlink(tmp.c_str());
        return err;
    };
    size_t done = 0;
    while (done < contents.size()) {
        ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail("cannot write " + tmp);
        }
        done += static_cast<size_t>(n);
    }
    if (fchmod(fd, mode) != 0) return fail("cannot set the permissions of " + tmp);
    if (::fsync(fd) != 0) return fail("cannot flush " + tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot replace " + path);
    ::close(fd);
    return {};
}

}  // namespace nw
