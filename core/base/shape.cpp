#include "shape.h"

#include <cstdio>

namespace nw {

std::optional<int64_t> checkedMul(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
    return r;
}

std::optional<int64_t> checkedAdd(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
    return r;
}

std::optional<int64_t> checkedProduct(const Shape& dims) {
    int64_t p = 1;
    for (int64_t d : dims) {
        auto r = checkedMul(p, d);
        if (!r) return std::nullopt;
        p = *r;
    }
    return p;
}

int64_t saturatingAdd(int64_t a, int64_t b) { return checkedAdd(a, b).value_or(INT64_MAX); }
int64_t saturatingMul(int64_t a, int64_t b) { return checkedMul(a, b).value_or(INT64_MAX); }

std::string formatShape(const Shape& s) {
    if (s.empty()) return "() (a scalar)";
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (i) out += "×";
        out += std::to_string(s[i]);
    }
    return out;
}

std::string formatScaled(double v, double step, const std::vector<const char*>& units, const char* separator) {
    size_t u = 0;
    while (v >= step && u + 1 < units.size()) v /= step, ++u;
    char buf[48];
    std::snprintf(buf, sizeof buf, u ? "%.1f%s%s" : "%.0f%s%s", v, separator, units[u]);
    return buf;
}

std::string compactCount(int64_t v) { return formatScaled(static_cast<double>(v), 1000, {"", "K", "M", "G", "T"}, ""); }

std::string formatInt(int64_t v) {
    std::string digits = std::to_string(v < 0 ? -(v + 1) + 1ULL : static_cast<uint64_t>(v));
    std::string out;
    int n = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (n && n % 3 == 0) out.insert(out.begin(), ',');
        out.insert(out.begin(), *it);
        ++n;
    }
    return v < 0 ? "-" + out : out;
}

}  // namespace nw
