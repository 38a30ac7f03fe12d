// Whole-file reads and crash-safe writes.
#pragma once
#include <string>

namespace nw {

// Reads all of `path` into `contents`; returns an error message, or empty.
std::string readFile(const std::string& path, std::string& contents);
// Writes to a temporary file beside `path`, flushes it to disk and renames it over `path`, so a
// crash leaves either the old file or the new one. Returns an error message, or empty.
std::string writeFileAtomic(const std::string& path, const std::string& contents);

}  // namespace nw
