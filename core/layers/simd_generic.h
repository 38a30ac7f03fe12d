// The "vector" on a CPU without AVX2: four plain floats, which compilers map onto SSE or NEON
// registers where they can. Included through simd.h only.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace nw::layers::simd {

struct Vec {
    float v[4];
};
constexpr int64_t kLanes = 4;
inline Vec vzero() { return Vec{}; }
inline Vec vload(const float* p) { return Vec{{p[0], p[1], p[2], p[3]}}; }
inline Vec vset(float x) { return Vec{{x, x, x, x}}; }
inline Vec vfma(Vec a, Vec b, Vec c) {
    for (int i = 0; i < 4; ++i) c.v[i] += a.v[i] * b.v[i];
    return c;
}
inline Vec vadd(Vec a, Vec b) {
    for (int i = 0; i < 4; ++i) a.v[i] += b.v[i];
    return a;
}
inline Vec vmax(Vec a, Vec b) {
    for (int i = 0; i < 4; ++i) a.v[i] = std::max(a.v[i], b.v[i]);
    return a;
}
inline void vstore(float* p, Vec v) { std::memcpy(p, v.v, sizeof v.v); }
inline Vec operator+(Vec a, Vec b) { return vadd(a, b); }
inline Vec operator-(Vec a, Vec b) {
    for (int i = 0; i < 4; ++i) a.v[i] -= b.v[i];
    return a;
}

}  // namespace nw::layers::simd

#include "simd_lanes.h"
