#pragma once
#include <string>

namespace nw {

enum class Severity { Error, Warning };

// A problem found while loading, expanding or analysing a graph. `node` is the hierarchical
// node name ("layer1.0.conv1") or empty for file-level problems; `port` may be empty.
struct Diagnostic {
    Severity severity = Severity::Error;
    std::string node;
    std::string port;
    std::string message;
};

inline const char* severityName(Severity s) { return s == Severity::Error ? "error" : "warning"; }

}  // namespace nw
