// What the .netw fuzz targets assert of every input: a document or errors with a place; a document
// flattens and analyses (a small expansion budget keeps each input fast: the bound itself is what is
// exercised) and what serializeNetw writes loads again to the same text.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "analysis.h"
#include "flatten.h"
#include "netw_format.h"

namespace nw::fuzz {

inline void checkDocument(const Document& doc) {
    FlattenOptions options;
    options.maxNodes = 20'000;
    FlatGraph flat = flatten(doc, options);
    Analysis analysis = analyze(flat);
    if (analysis.nodes.size() != flat.nodes.size()) std::abort();
    std::string saved = serializeNetw(doc);
    LoadResult again = parseNetw(saved);
    if (!again.document || serializeNetw(*again.document) != saved) {
        std::fprintf(stderr, "round trip changed the document:\n%s\n", saved.c_str());
        std::abort();
    }
}

// The parsed document, or null after checking that the failure says why.
inline std::optional<Document> load(std::string_view text) {
    LoadResult loaded = parseNetw(text);
    if (!loaded.document && loaded.errors.empty()) {
        std::fprintf(stderr, "a file that does not load must say why\n");
        std::abort();
    }
    return std::move(loaded.document);
}

}  // namespace nw::fuzz
