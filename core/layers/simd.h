// The SIMD vector the kernels compute with, chosen at compile time: AVX-512 (simd_avx512.h), AVX2 +
// FMA (simd_avx2.h) or four plain floats (simd_generic.h); each target's file holds what differs, this
// one what is written once over any of them. Included by kernel sources only: it pulls in the intrinsics.
#pragma once
#include <cstdint>

#if defined(__AVX512F__)
#include "simd_avx512.h"
#elif defined(__AVX2__) && defined(__FMA__)
#include "simd_avx2.h"
#else
#include "simd_generic.h"
#endif

namespace nw::layers::simd {

// The first min(n, kLanes) elements at p, the rest zero (nothing is read past them); and the store
// of as many. For the tails of rows.
inline Vec vloadUpTo(const float* p, int64_t n) {
    if (n >= kLanes) return vload(p);
    if (n <= 0) return vzero();
    return vloadPartial(p, n);
}
inline void vstoreUpTo(float* p, Vec v, int64_t n) {
    if (n >= kLanes) return vstore(p, v);
    if (n <= 0) return;
    vstorePartial(p, v, n);
}
// Copies n floats with vector moves, no call: for the many short rows of small feature maps.
inline void copyShort(const float* src, int64_t n, float* dst) {
    for (int64_t k = 0; k < n; k += kLanes) vstoreUpTo(dst + k, vloadUpTo(src + k, n - k), n - k);
}
inline Vec evens(const float* p) {
    Vec even, odd;
    deinterleave(p, even, odd);
    return even;
}

// Reductions for the backward passes and batch statistics: whole vectors summed in float lanes, the
// lanes and the tail in double. The order depends on n alone, not on where the data lies.
inline double lanesTotal(Vec v) {
    alignas(64) float lanes[kLanes];
    vstore(lanes, v);
    double s = 0;
    for (float x : lanes) s += x;
    return s;
}
// Σ p[i].
inline double sum(const float* p, int64_t n) {
    Vec acc = vzero();
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes) acc = vadd(acc, vload(p + k));
    double s = lanesTotal(acc);
    for (; k < n; ++k) s += p[k];
    return s;
}
// Σ (p[i] − c)².
inline double sumSquaresAbout(const float* p, int64_t n, float c) {
    const Vec centre = vset(c);
    Vec acc = vzero();
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes) {
        const Vec d = vload(p + k) - centre;
        acc = vfma(d, d, acc);
    }
    double s = lanesTotal(acc);
    for (; k < n; ++k) s += (static_cast<double>(p[k]) - c) * (static_cast<double>(p[k]) - c);
    return s;
}
// Σ a[i] · (x[i] − c).
inline double dotAbout(const float* a, const float* x, int64_t n, float c) {
    const Vec centre = vset(c);
    Vec acc = vzero();
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes) acc = vfma(vload(a + k), vload(x + k) - centre, acc);
    double s = lanesTotal(acc);
    for (; k < n; ++k) s += static_cast<double>(a[k]) * (static_cast<double>(x[k]) - c);
    return s;
}

}  // namespace nw::layers::simd
