// Opening a network from a file: the .netw format or another one an importer translates (ONNX). Each
// format is one Importer; openNetwork picks the one that matches, so a new format adds a file here,
// not a branch in every command.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "diagnostic.h"
#include "graph.h"
#include "tensor_io.h"

namespace nw {

struct Imported {
    std::optional<Document> document;  // empty when the file cannot be opened
    TensorMap weights;                 // weights the file itself holds, by Netwright name (none for .netw)
    std::vector<Diagnostic> errors;    // why not, each naming its place (a JSON path, an ONNX node)
    std::vector<std::string> notes;    // what the translation changed or left out, for the user to see
};

class Importer {
public:
    virtual ~Importer() = default;
    virtual const char* name() const = 0;       // "ONNX"
    virtual const char* extension() const = 0;  // ".onnx"
    virtual Imported open(const std::string& path) const = 0;
    // Whether this importer reads `path` (by its extension, case-insensitive).
    bool match(const std::string& path) const;
};

// Every importer but .netw's, for file dialogs and the CLI's help.
const std::vector<const Importer*>& importers();
// The importer for `path`, or null: a .netw file (or any other name) is read as .netw.
const Importer* importerFor(const std::string& path);
// Opens `path` with its importer, or as .netw.
Imported openNetwork(const std::string& path);

}  // namespace nw
