// The SIMD vector the kernels compute with, chosen at compile time: AVX-512, AVX2 + FMA, or four plain
// floats (any other CPU). Included by kernel sources only: it pulls in <immintrin.h>.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
// GCC 12 warns falsely about the undefined pass-through operand inside _mm512_max_ps when inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace nw::layers::simd {

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int64_t kLanes = 16;
inline Vec vzero() { return _mm512_setzero_ps(); }
inline Vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline Vec vset(float v) { return _mm512_set1_ps(v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec vadd(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec vmax(Vec a, Vec b) { return _mm512_max_ps(a, b); }
inline void vstore(float* p, Vec v) { _mm512_storeu_ps(p, v); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int64_t kLanes = 8;
inline Vec vzero() { return _mm256_setzero_ps(); }
inline Vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline Vec vset(float v) { return _mm256_set1_ps(v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec vadd(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec vmax(Vec a, Vec b) { return _mm256_max_ps(a, b); }
inline void vstore(float* p, Vec v) { _mm256_storeu_ps(p, v); }
#else
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
#endif

// The even and odd elements of p[0, 2·kLanes) (strided convolutions, Winograd's tiles every other
// column), and the inverse: even and odd interleaved into lo (elements 0…kLanes−1) and hi.
inline void deinterleave(const float* p, Vec& even, Vec& odd) {
#if defined(__AVX512F__)
    const __m512i e = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i o = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const Vec a = vload(p), b = vload(p + kLanes);
    even = _mm512_permutex2var_ps(a, e, b);
    odd = _mm512_permutex2var_ps(a, o, b);
#else
    alignas(64) float e[kLanes], o[kLanes];
    for (int64_t i = 0; i < kLanes; ++i) e[i] = p[2 * i], o[i] = p[2 * i + 1];
    even = vload(e), odd = vload(o);
#endif
}
// The first min(n, kLanes) elements at p, the rest zero (nothing is read past them); and the store
// of as many. For the tails of rows.
inline Vec vloadUpTo(const float* p, int64_t n) {
    if (n >= kLanes) return vload(p);
    if (n <= 0) return vzero();
#if defined(__AVX512F__)
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p);
#else
    alignas(64) float all[kLanes] = {};
    std::copy_n(p, n, all);
    return vload(all);
#endif
}
inline void vstoreUpTo(float* p, Vec v, int64_t n) {
    if (n >= kLanes) return vstore(p, v);
    if (n <= 0) return;
#if defined(__AVX512F__)
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v);
#else
    alignas(64) float all[kLanes];
    vstore(all, v);
    std::copy_n(all, n, p);
#endif
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
inline void interleave(Vec even, Vec odd, Vec& lo, Vec& hi) {
#if defined(__AVX512F__)
    const __m512i l = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i h = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    lo = _mm512_permutex2var_ps(even, l, odd);
    hi = _mm512_permutex2var_ps(even, h, odd);
#else
    alignas(64) float e[kLanes], o[kLanes], both[2 * kLanes];
    vstore(e, even), vstore(o, odd);
    for (int64_t i = 0; i < kLanes; ++i) both[2 * i] = e[i], both[2 * i + 1] = o[i];
    lo = vload(both), hi = vload(both + kLanes);
#endif
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
