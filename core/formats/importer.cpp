#include "importer.h"

#include <algorithm>
#include <cctype>

#include "netw_format.h"
#include "onnx_import.h"

namespace nw {

bool Importer::match(const std::string& path) const {
    const std::string ext = extension();
    if (path.size() < ext.size()) return false;
    return std::equal(ext.begin(), ext.end(), path.end() - static_cast<std::ptrdiff_t>(ext.size()), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
}

const std::vector<const Importer*>& importers() {
    static const std::vector<const Importer*> all{&onnxImporter()};
    return all;
}

const Importer* importerFor(const std::string& path) {
    for (const Importer* i : importers())
        if (i->match(path)) return i;
    return nullptr;
}

Imported openNetwork(const std::string& path) {
    if (const Importer* i = importerFor(path)) return i->open(path);
    LoadResult r = loadNetw(path);
    Imported out;
    out.document = std::move(r.document);
    out.errors = std::move(r.errors);
    return out;
}

}  // namespace nw
