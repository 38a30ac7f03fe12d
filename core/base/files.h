// Bounded whole-file reads and crash-safe writes.
#pragma once
#include <cstdint>
#include <string>

namespace nw {

// What a reader accepts: a regular file (never a directory, device, FIFO or socket) of at most
// `maxBytes`. Returns an error message ("is a directory", "is 40 GB, more than …"), or empty, and
// the file's size in `size`.
std::string checkReadable(const std::string& path, uint64_t maxBytes, uint64_t* size = nullptr);

// Reads all of `path` into `contents` after checkReadable; never reads more than `maxBytes`, even
// if the file grows while it is read. Returns an error message, or empty.
std::string readFile(const std::string& path, std::string& contents, uint64_t maxBytes = uint64_t{256} << 20);

// Writes to a temporary file beside `path`, flushes it to disk and renames it over `path`, so a
// crash leaves either the old file or the new one. The new file keeps the old one's permissions
// (a new file gets 0666 less the umask); a symbolic link is written through, so the link stays and
// its target changes. Temporary files a killed save left beside `path` are removed.
// Returns an error message, or empty.
std::string writeFileAtomic(const std::string& path, const std::string& contents);

// "18.4 KiB", "312 B": sizes for people.
std::string formatBytes(int64_t bytes);

}  // namespace nw
