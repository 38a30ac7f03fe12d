// For targets without permutes across two registers or masked memory access (AVX2, plain floats):
// the even/odd splits and rows' tails through an aligned array of lanes. After the target's Vec.
#pragma once
#include <algorithm>
#include <cstdint>

namespace nw::layers::simd {

// The even and odd elements of p[0, 2·kLanes), and the inverse: even and odd interleaved into lo, hi.
inline void deinterleave(const float* p, Vec& even, Vec& odd) {
    alignas(64) float e[kLanes], o[kLanes];
    for (int64_t i = 0; i < kLanes; ++i) e[i] = p[2 * i], o[i] = p[2 * i + 1];
    even = vload(e), odd = vload(o);
}
inline void interleave(Vec even, Vec odd, Vec& lo, Vec& hi) {
    alignas(64) float e[kLanes], o[kLanes], both[2 * kLanes];
    vstore(e, even), vstore(o, odd);
    for (int64_t i = 0; i < kLanes; ++i) both[2 * i] = e[i], both[2 * i + 1] = o[i];
    lo = vload(both), hi = vload(both + kLanes);
}

// The first n (0 < n < kLanes) elements at p, the rest zero, nothing read past them; and the store of as many.
inline Vec vloadPartial(const float* p, int64_t n) {
    alignas(64) float all[kLanes] = {};
    std::copy_n(p, n, all);
    return vload(all);
}
inline void vstorePartial(float* p, Vec v, int64_t n) {
    alignas(64) float all[kLanes];
    vstore(all, v);
    std::copy_n(all, n, p);
}

}  // namespace nw::layers::simd
