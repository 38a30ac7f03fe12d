// The SIMD vector on AVX-512F: sixteen floats, with masked loads and stores for rows' tails and
// two-register permutes for the even/odd splits. Included through simd.h only.
#pragma once
#include <cstdint>

// GCC 12 warns falsely about the undefined pass-through operand inside _mm512_max_ps when inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

namespace nw::layers::simd {

using Vec = __m512;
constexpr int64_t kLanes = 16;
inline Vec vzero() { return _mm512_setzero_ps(); }
inline Vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline Vec vset(float v) { return _mm512_set1_ps(v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec vadd(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec vmax(Vec a, Vec b) { return _mm512_max_ps(a, b); }
inline void vstore(float* p, Vec v) { _mm512_storeu_ps(p, v); }

// The even and odd elements of p[0, 32), and the inverse: even and odd interleaved into lo, hi.
inline void deinterleave(const float* p, Vec& even, Vec& odd) {
    const __m512i e = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i o = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const Vec a = vload(p), b = vload(p + kLanes);
    even = _mm512_permutex2var_ps(a, e, b);
    odd = _mm512_permutex2var_ps(a, o, b);
}
inline void interleave(Vec even, Vec odd, Vec& lo, Vec& hi) {
    const __m512i l = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i h = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    lo = _mm512_permutex2var_ps(even, l, odd);
    hi = _mm512_permutex2var_ps(even, h, odd);
}

// The first n (0 < n < 16) elements at p, the rest zero, nothing read past them; and the store of as many.
inline Vec vloadPartial(const float* p, int64_t n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p);
}
inline void vstorePartial(float* p, Vec v, int64_t n) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v);
}

}  // namespace nw::layers::simd
