#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attr.h"

namespace nw {

enum class Severity { Error, Warning };

// A problem found while loading, expanding or analysing a graph. `node` is the hierarchical
// node name ("layer1.0.conv1") or empty for file-level problems; `port` may be empty.
// A fix the validator is sure of: set attribute `attr` of the diagnostic's node to `value`
// (in_features = 1408). fixEdit (edits.h) turns it into an edit of the document.
struct AttrFix {
    std::string attr;
    AttrValue value;
    bool operator==(const AttrFix&) const = default;
};

// A fix that puts a layer on input `port` of the diagnostic's node, between that input's source and
// the node: a 1×1 projection on a residual shortcut. fixEdit makes it an edit too.
struct InsertFix {
    std::string port, kind;
    std::vector<std::pair<std::string, AttrValue>> attrs;
    bool operator==(const InsertFix&) const = default;
};

struct Diagnostic {
    Severity severity = Severity::Error;
    std::string node;
    std::string port;
    std::string message;
    std::optional<AttrFix> fix;
    std::optional<InsertFix> insert;
};

inline const char* severityName(Severity s) { return s == Severity::Error ? "error" : "warning"; }

}  // namespace nw
