// The .netw file: JSON, versioned. Schema: resources/netw.schema.json.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "diagnostic.h"
#include "files.h"
#include "graph.h"

namespace nw {

constexpr int kNetwVersion = 1;

struct LoadResult {
    std::optional<Document> document;  // empty when the file cannot be read as a whole
    std::vector<Diagnostic> errors;    // `node` holds the JSON place ("/nodes/3/attrs/stride") or node id
};

LoadResult parseNetw(std::string_view text);
LoadResult loadNetw(const std::string& path);

std::string serializeNetw(const Document& doc);
// Writes to a temporary file beside `path`, flushes it to disk and renames it over `path`, so a
// crash leaves either the old file or the new one. Returns an error message, or empty.
std::string saveNetwAtomic(const Document& doc, const std::string& path);

}  // namespace nw
