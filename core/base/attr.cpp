#include "attr.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cctype>
#include <cstdio>

namespace nw {

const char* attrTypeName(AttrType t) {
    switch (t) {
        case AttrType::Int: return "int";
        case AttrType::Float: return "float";
        case AttrType::Bool: return "bool";
        case AttrType::Choice: return "choice";
        case AttrType::Int2: return "int2";
        case AttrType::Padding: return "padding";
    }
    return "?";
}

std::string formatAttrValue(const AttrValue& v) {
    struct Visitor {
        std::string operator()(int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%g", d);
            return buf;
        }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(const std::string& s) const { return s; }
        std::string operator()(const std::vector<int64_t>& xs) const {
            std::string out = "(";
            for (size_t i = 0; i < xs.size(); ++i) out += (i ? "," : "") + std::to_string(xs[i]);
            return out + ")";
        }
    };
    return std::visit(Visitor{}, v);
}

}  // namespace nw

namespace nw {

static std::string rangeText(const AttrSpec& s) {
    return "[" + std::to_string(s.min) + ", " + std::to_string(s.max) + "]";
}

std::optional<AttrValue> coerceAttr(const AttrSpec& spec, const AttrValue& raw, std::string& error) {
    auto inRange = [&](int64_t v) {
        if (v >= spec.min && v <= spec.max) return true;
        error = spec.name + " = " + std::to_string(v) + " is outside " + rangeText(spec);
        return false;
    };
    const auto* i = std::get_if<int64_t>(&raw);
    const auto* list = std::get_if<std::vector<int64_t>>(&raw);
    const auto* str = std::get_if<std::string>(&raw);
    switch (spec.type) {
        case AttrType::Int:
            if (!i) break;
            if (!inRange(*i)) return std::nullopt;
            return *i;
        case AttrType::Float: {
            double d;
            if (i) d = static_cast<double>(*i);
            else if (auto* f = std::get_if<double>(&raw)) d = *f;
            else break;
            if (!(d >= spec.fmin && d <= spec.fmax)) {
                char buf[160];
                std::snprintf(buf, sizeof buf, "%s = %g is outside [%g, %g]", spec.name.c_str(), d, spec.fmin,
                              spec.fmax);
                error = buf;
                return std::nullopt;
            }
            return d;
        }
        case AttrType::Bool:
            if (auto* b = std::get_if<bool>(&raw)) return *b;
            if (i && (*i == 0 || *i == 1)) return *i == 1;
            break;
        case AttrType::Choice:
            if (!str) break;
            for (const auto& c : spec.choices)
                if (c == *str) return *str;
            error = spec.name + " = \"" + *str + "\" is not one of its choices";
            for (size_t k = 0; k < spec.choices.size(); ++k) error += (k ? ", " : ": ") + spec.choices[k];
            return std::nullopt;
        case AttrType::Int2: {
            std::vector<int64_t> v;
            if (i) v = {*i, *i};
            else if (list && list->size() == 2) v = *list;
            else break;
            for (int64_t x : v)
                if (!inRange(x)) return std::nullopt;
            return v;
        }
        case AttrType::Padding: {
            if (str) {
                if (*str == "same" || *str == "valid") return *str;
                error = "padding = \"" + *str + "\" must be \"same\", \"valid\" or numbers";
                return std::nullopt;
            }
            std::vector<int64_t> v;
            if (i) v = {*i, *i, *i, *i};
            else if (list && list->size() == 2) v = {(*list)[0], (*list)[1], (*list)[0], (*list)[1]};
            else if (list && list->size() == 4) v = *list;
            else break;
            for (int64_t x : v)
                if (!inRange(x)) return std::nullopt;
            return v;
        }
    }
    static const char* expected[] = {
        "an integer",           "a number",
        "true or false",        "a string",
        "an integer or [h, w]", "\"same\", \"valid\", n, [h, w] or [top, left, bottom, right]"};
    error = spec.name + " expects " + expected[static_cast<int>(spec.type)] + ", got " + formatAttrValue(raw);
    return std::nullopt;
}

std::string closestName(const std::string& name, const std::vector<std::string>& candidates) {
    auto lower = [](std::string s) {
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    std::string a = lower(name);
    std::string best;
    size_t bestDist = std::max<size_t>(2, a.size() / 3) + 1;
    for (const auto& cand : candidates) {
        std::string b = lower(cand);
        std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
        for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
        for (size_t i2 = 1; i2 <= a.size(); ++i2) {
            cur[0] = i2;
            for (size_t j = 1; j <= b.size(); ++j)
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i2 - 1] != b[j - 1])});
            std::swap(prev, cur);
        }
        if (prev[b.size()] < bestDist) bestDist = prev[b.size()], best = cand;
    }
    return best;
}

AttrValue parseAttrText(const std::string& text) {
    const size_t b = text.find_first_not_of(" \t"), e = text.find_last_not_of(" \t");
    const std::string t = b == std::string::npos ? "" : text.substr(b, e - b + 1);
    if (t == "true" || t == "false") return t == "true";
    auto integer = [](const std::string& s) -> std::optional<int64_t> {
        if (s.empty()) return std::nullopt;
        char* end = nullptr;
        errno = 0;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (*end != '\0' || errno == ERANGE) return std::nullopt;
        return v;
    };
    if (auto v = integer(t)) return *v;
    if (!t.empty() && t[0] != '=') {
        char* end = nullptr;
        double d = std::strtod(t.c_str(), &end);
        if (*end == '\0' && std::isfinite(d)) return d;
        // A list of integers, with or without brackets.
        std::string inner = t;
        if (inner.size() >= 2 && (inner.front() == '(' || inner.front() == '['))
            inner = inner.substr(1, inner.size() - 2);
        std::vector<int64_t> items;
        std::string item;
        bool ok = true;
        for (size_t i = 0; i <= inner.size() && ok; ++i) {
            if (i == inner.size() || inner[i] == ',' || inner[i] == ' ') {
                if (!item.empty()) {
                    auto v = integer(item);
                    ok = v.has_value();
                    if (ok) items.push_back(*v);
                }
                item.clear();
            } else item += inner[i];
        }
        if (ok && items.size() >= 2) return items;
    }
    return t;
}

}  // namespace nw
