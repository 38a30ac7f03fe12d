// Layer attributes: their declared types (the schema) and their values.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace nw {

enum class AttrType {
    Int,    // int64
    Float,  // double
    Bool,
    Choice,   // one of AttrSpec::choices
    Int2,     // (h, w); a scalar n in a file means (n, n)
    Padding,  // "same" | "valid" | n | (h, w) | (top, left, bottom, right)
};

// Int2 and explicit Padding are stored as int vectors; Choice and symbolic padding as strings.
using AttrValue = std::variant<int64_t, double, bool, std::string, std::vector<int64_t>>;

struct AttrSpec {
    std::string name;
    AttrType type;
    AttrValue def;
    int64_t min = 0;  // inclusive range for Int / Int2 / Padding elements
    int64_t max = 1 << 20;
    double fmin = 0, fmax = 1e9;  // for Float
    std::vector<std::string> choices;
    std::string doc;
};

const char* attrTypeName(AttrType t);
std::string formatAttrValue(const AttrValue& v);

// Resolved explicit padding of one node: rows/cols added before and after.
struct Pad4 {
    int64_t top = 0, left = 0, bottom = 0, right = 0;
};

}  // namespace nw

namespace nw {
// Checks a value against its spec and brings it to the stored form (Int2 scalar → pair, padding
// n / (h, w) → (top, left, bottom, right), int → float). On failure `error` says why.
std::optional<AttrValue> coerceAttr(const AttrSpec& spec, const AttrValue& raw, std::string& error);
// A value as a person types it in an editor: true/false, an integer, a number, integers separated
// by commas or spaces ("3, 3", "(1,1,2,2)"), or else the text itself ("same", "=planes * 4").
AttrValue parseAttrText(const std::string& text);
// Closest name by edit distance, for "did you mean" hints; empty if none is close.
std::string closestName(const std::string& name, const std::vector<std::string>& candidates);
}  // namespace nw
