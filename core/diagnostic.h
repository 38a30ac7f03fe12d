#pragma once
#include <optional>
#include <string>

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

struct Diagnostic {
    Severity severity = Severity::Error;
    std::string node;
    std::string port;
    std::string message;
    std::optional<AttrFix> fix;
};

inline const char* severityName(Severity s) { return s == Severity::Error ? "error" : "warning"; }

}  // namespace nw
