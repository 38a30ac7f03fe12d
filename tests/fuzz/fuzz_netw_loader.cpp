// libFuzzer target for the .netw loader and everything behind it: any byte string must give either a
// document or errors with a place; a document must flatten, analyse and lay out without crashing, and
// what serializeNetw writes must load again to the same text.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string_view>

#include "analysis.h"
#include "flatten.h"
#include "netw_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    nw::LoadResult loaded = nw::parseNetw(text);
    if (!loaded.document) {
        if (loaded.errors.empty()) {
            std::fprintf(stderr, "a file that does not load must say why\n");
            std::abort();
        }
        return 0;
    }
    // A small budget keeps each input fast; the bound itself is what is being exercised.
    nw::FlattenOptions flattenOptions;
    flattenOptions.maxNodes = 20'000;
    nw::FlatGraph flat = nw::flatten(*loaded.document, flattenOptions);
    nw::Analysis analysis = nw::analyze(flat);
    if (analysis.nodes.size() != flat.nodes.size()) std::abort();

    std::string saved = nw::serializeNetw(*loaded.document);
    nw::LoadResult again = nw::parseNetw(saved);
    if (!again.document || nw::serializeNetw(*again.document) != saved) {
        std::fprintf(stderr, "round trip changed the document:\n%s\n", saved.c_str());
        std::abort();
    }
    return 0;
}
