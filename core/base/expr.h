// Formulas in module definitions: attribute values written "=planes * 4" and node conditions
// ("when": "stride != 1 || in_channels != planes * 4"). Integers, floats, strings and booleans;
// + - * / % (integer / truncates), comparisons, && || !, parentheses, cond ? a : b.
#pragma once
#include <map>
#include <string>
#include <variant>

#include "attr.h"

namespace nw {

using Env = std::map<std::string, AttrValue, std::less<>>;

struct ExprResult {
    bool ok = false;
    AttrValue value;
    std::string error;  // when !ok: what and where ("unknown name 'plane' at column 1")
};

ExprResult evaluate(const std::string& formula, const Env& env);

}  // namespace nw
