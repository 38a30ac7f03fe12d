// The machine's float32 FMA peak: every thread runs independent chains of vector FMAs (enough of
// them to hide the FMA latency) for a fixed time. Prints GFLOP/s; the peers bench divides by it.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec splat(float v) { return _mm512_set1_ps(v); }
inline float sum(Vec v) {
    alignas(64) float f[16];
    _mm512_store_ps(f, v);
    float s = 0;
    for (float x : f) s += x;
    return s;
}
constexpr const char* kIsa = "AVX-512";
#elif defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec splat(float v) { return _mm256_set1_ps(v); }
inline float sum(Vec v) {
    alignas(32) float f[8];
    _mm256_store_ps(f, v);
    float s = 0;
    for (float x : f) s += x;
    return s;
}
constexpr const char* kIsa = "AVX2+FMA";
#else
#error "fma_peak needs FMA instructions (build with -march=native)"
#endif

// kChains independent accumulators (more than FMA latency × FMA ports) × 2 FLOPs × lanes per step.
constexpr int kChains = 16;
double run(long steps) {
    Vec acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = splat(0.001f * static_cast<float>(i));
    const Vec a = splat(0.999999f), b = splat(1e-7f);
    for (long s = 0; s < steps; ++s)
        for (int i = 0; i < kChains; ++i) acc[i] = fma(acc[i], a, b);
    float total = 0;
    for (int i = 0; i < kChains; ++i) total += sum(acc[i]);
    return total;
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : omp_get_max_threads();
    const long steps = 40'000'000;
    double best = 0, sink = 0;
    for (int repeat = 0; repeat < 3; ++repeat) {
        auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += run(steps);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, double{kChains} * 2 * kLanes * static_cast<double>(steps) * threads / s / 1e9);
    }
    std::printf("{\"isa\": \"%s\", \"threads\": %d, \"gflops\": %.1f, \"checksum\": %g}\n", kIsa, threads, best, sink);
    return 0;
}
