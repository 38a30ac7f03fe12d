// The SIMD vector on AVX2 with FMA: eight floats. The even/odd splits and rows' tails go through
// memory (simd_lanes.h). Included through simd.h only.
#pragma once
#include <cstdint>

#include <immintrin.h>

namespace nw::layers::simd {

using Vec = __m256;
constexpr int64_t kLanes = 8;
inline Vec vzero() { return _mm256_setzero_ps(); }
inline Vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline Vec vset(float v) { return _mm256_set1_ps(v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec vadd(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec vmax(Vec a, Vec b) { return _mm256_max_ps(a, b); }
inline void vstore(float* p, Vec v) { _mm256_storeu_ps(p, v); }

}  // namespace nw::layers::simd

#include "simd_lanes.h"
