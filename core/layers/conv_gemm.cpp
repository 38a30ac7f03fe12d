// Blocked GEMM for convolutions (the BLIS/GotoBLAS scheme): for a block of output positions, the
// im2col of a KC-row slice of the input is packed into NR-column panels that stay in L2; the packed
// weights stream through a register-blocked MR × NR micro-kernel whose A panel stays in L1.
#include "conv_gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace nw::layers {
namespace {

// The SIMD vector the micro-kernel computes with: AVX-512, AVX2 + FMA, or four plain floats.
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

// Register block: MR output channels × NR output positions (16 accumulators on AVX-512).
constexpr int64_t MR = 8, NR = 2 * kLanes;
// Cache blocks: a KC × NC slice of the packed input (≈ 384 KB on AVX-512) stays in L2.
constexpr int64_t KC = 256, NC = 12 * NR;
constexpr int64_t kSharedGemmWork = int64_t{1} << 18;  // multiply-adds below which one thread does the GEMM

struct AlignedFree {
    void operator()(float* p) const { std::free(p); }
};
float* alignedFloats(int64_t n) {
    const size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
    return static_cast<float*>(std::aligned_alloc(64, std::max<size_t>(bytes, 64)));
}

// acc = A panel (kc × MR) · B panel (kc × NR); then stored to c (rows `ldc` apart): added to what is
// there when `accumulate`, plus the bias and ReLU when given.
inline void microKernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate,
                        const float* bias, bool relu) {
    Vec acc[MR][2];
#pragma GCC unroll 8
    for (int64_t r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = vzero();
    for (int64_t k = 0; k < kc; ++k, a += MR, b += NR) {
        const Vec b0 = vload(b), b1 = vload(b + kLanes);
#pragma GCC unroll 8
        for (int64_t r = 0; r < MR; ++r) {
            const Vec ar = vset(a[r]);
            acc[r][0] = vfma(ar, b0, acc[r][0]);
            acc[r][1] = vfma(ar, b1, acc[r][1]);
        }
    }
    const Vec zero = vzero();
#pragma GCC unroll 8
    for (int64_t r = 0; r < MR; ++r) {
        float* row = c + r * ldc;
        Vec v0 = acc[r][0], v1 = acc[r][1];
        if (accumulate) {
            v0 = vadd(v0, vload(row));
            v1 = vadd(v1, vload(row + kLanes));
        }
        if (bias) {
            const Vec br = vset(bias[r]);
            v0 = vadd(v0, br);
            v1 = vadd(v1, br);
        }
        if (relu) {
            v0 = vmax(v0, zero);
            v1 = vmax(v1, zero);
        }
        vstore(row, v0);
        vstore(row + kLanes, v1);
    }
}

// A run of packed columns that lie in one output row of one sample: where their input comes from.
struct Segment {
    int64_t panel, col, len, n, ihBase, iwBase;
};

struct Workspace {
    std::unique_ptr<float[], AlignedFree> panels;
    int64_t capacity = 0;
    std::vector<Segment> segments;
    float* reserve(int64_t n) {
        if (n > capacity) {
            panels.reset(alignedFloats(n));
            capacity = n;
        }
        return panels.get();
    }
};

// Packs rows [k0, k0 + kc) × columns [j0, j0 + nc) of im2col(x) into NR-wide panels, kc × NR each.
void packInput(const ConvGemmArgs& g, int64_t k0, int64_t kc, int64_t j0, int64_t nc, Workspace& ws, float* out) {
    const int64_t P = g.OH * g.OW, NT = g.N * P, taps = g.win.kh * g.win.kw;
    // A 1×1, stride-1, unpadded convolution reads each sample's plane contiguously: one segment per panel.
    const bool pointwise = taps == 1 && g.win.sh == 1 && g.win.sw == 1 && g.pad.top == 0 && g.pad.left == 0 &&
                           g.pad.bottom == 0 && g.pad.right == 0;
    auto& segs = ws.segments;
    segs.clear();
    const int64_t panels = (nc + NR - 1) / NR;
    for (int64_t q = 0; q < panels; ++q) {
        const int64_t c0 = j0 + q * NR, end = std::min(c0 + NR, std::min(j0 + nc, NT));
        for (int64_t j = c0; j < end;) {
            const int64_t n = j / P, p = j % P, oh = p / g.OW, ow = p % g.OW;
            const int64_t len = std::min(pointwise ? P - p : g.OW - ow, end - j);
            if (pointwise) segs.push_back({q, j - c0, len, n, 0, p});  // iwBase: offset in the plane
            else segs.push_back({q, j - c0, len, n, oh * g.win.sh - g.pad.top, ow * g.win.sw - g.pad.left});
            j += len;
        }
        if (end - c0 < NR)  // the last panel's columns past the end are zeros
            for (int64_t k = 0; k < kc; ++k) std::fill_n(out + q * kc * NR + k * NR + (end - c0), NR - (end - c0), 0.0f);
    }
    const int64_t plane = g.H * g.W, sample = g.inChannels * plane;
    int64_t ic = k0 / taps, ki = k0 % taps / g.win.kw, kj = k0 % g.win.kw;
    for (int64_t k = 0; k < kc; ++k) {
        const float* channel = g.x + (g.channelOffset + ic) * plane;
        for (const Segment& s : segs) {
            float* dst = out + s.panel * kc * NR + k * NR + s.col;
            if (pointwise) {
                const float* src = channel + s.n * sample + s.iwBase;
                if (s.len == NR) {
                    vstore(dst, vload(src));
                    vstore(dst + kLanes, vload(src + kLanes));
                } else {
                    for (int64_t t = 0; t < s.len; ++t) dst[t] = src[t];
                }
                continue;
            }
            const int64_t ih = s.ihBase + ki * g.win.dh;
            if (ih < 0 || ih >= g.H) {
                for (int64_t t = 0; t < s.len; ++t) dst[t] = 0.0f;
                continue;
            }
            const float* src = channel + s.n * sample + ih * g.W;
            const int64_t iw0 = s.iwBase + kj * g.win.dw;
            if (g.win.sw == 1) {
                const int64_t lo = std::clamp<int64_t>(-iw0, 0, s.len), hi = std::clamp<int64_t>(g.W - iw0, lo, s.len);
                for (int64_t t = 0; t < lo; ++t) dst[t] = 0.0f;
                for (int64_t t = lo; t < hi; ++t) dst[t] = src[iw0 + t];
                for (int64_t t = hi; t < s.len; ++t) dst[t] = 0.0f;
            } else {
                for (int64_t t = 0; t < s.len; ++t) {
                    const int64_t iw = iw0 + t * g.win.sw;
                    dst[t] = iw >= 0 && iw < g.W ? src[iw] : 0.0f;
                }
            }
        }
        if (++kj == g.win.kw && (kj = 0, ++ki == g.win.kh)) ki = 0, ++ic;
    }
}

// Writes an MR × NR tile computed into `tile` to the output when it cannot be stored directly (rows
// past the matrix, columns past the end or spanning two samples).
void storeTile(const ConvGemmArgs& g, const float* tile, int64_t m0, int64_t rows, int64_t c0, int64_t cols,
               bool accumulate, bool last) {
    const int64_t P = g.OH * g.OW;
    for (int64_t c = 0; c < cols;) {  // runs of columns within one sample: contiguous in the output
        const int64_t n = (c0 + c) / P, p = (c0 + c) % P, len = std::min(cols - c, P - p);
        for (int64_t r = 0; r < rows; ++r) {
            const float bias = last && g.bias ? g.bias[m0 + r] : 0.0f;
            const bool relu = last && g.relu;
            float* y = g.y + (n * g.outChannels + g.outOffset + m0 + r) * P + p;
            const float* t = tile + r * NR + c;
            for (int64_t i = 0; i < len; ++i) {
                const float v = t[i] + (accumulate ? y[i] : 0.0f) + bias;
                y[i] = relu && v < 0 ? 0.0f : v;
            }
        }
        c += len;
    }
}

}  // namespace

PackedMatrix packWeights(const float* w, int64_t rows, int64_t cols) {
    const int64_t panels = (rows + MR - 1) / MR, padded = panels * MR;
    PackedMatrix m{rows, cols, std::shared_ptr<float[]>(alignedFloats(padded * cols), AlignedFree{})};
    float* out = m.data.get();
    for (int64_t k0 = 0; k0 < cols; k0 += KC) {
        const int64_t kc = std::min(KC, cols - k0);
        for (int64_t mp = 0; mp < panels; ++mp) {
            float* panel = out + k0 * padded + mp * MR * kc;
            for (int64_t k = 0; k < kc; ++k)
                for (int64_t r = 0; r < MR; ++r) {
                    const int64_t row = mp * MR + r;
                    panel[k * MR + r] = row < rows ? w[row * cols + k0 + k] : 0.0f;
                }
        }
    }
    return m;
}

void convGemm(const PackedMatrix& a, const ConvGemmArgs& g) {
    const int64_t M = a.rows, K = a.cols, P = g.OH * g.OW, NT = g.N * P;
    const int64_t mPanels = (M + MR - 1) / MR, padded = mPanels * MR;
    // Inside Winograd's loop, or for a tiny GEMM (LeNet's, faster than a fork/join): this thread only.
    const bool alone = omp_in_parallel() || M * K * NT < kSharedGemmWork;
    const int64_t threads = alone ? 1 : omp_get_max_threads();
    // Blocks of columns for the threads; when there are fewer blocks than threads, the threads also
    // split the output channels (each packs the same input block).
    int64_t nc = NC, nBlocks = (NT + nc - 1) / nc;
    if (nBlocks % threads != 0 && nBlocks < 4 * threads) {
        const int64_t want = (nBlocks + threads - 1) / threads * threads;
        nc = std::max<int64_t>(NR, ((NT + want - 1) / want + NR - 1) / NR * NR);
        nBlocks = (NT + nc - 1) / nc;
    }
    const int64_t mChunks = nBlocks >= threads ? 1 : std::min(mPanels, (threads + nBlocks - 1) / nBlocks);
    const int64_t items = nBlocks * mChunks;
#pragma omp parallel for schedule(static) if (!alone && items > 1)
    for (int64_t item = 0; item < items; ++item) {
        static thread_local Workspace ws;
        const int64_t j0 = item / mChunks * nc, cols = std::min(nc, NT - j0), mc = item % mChunks;
        const int64_t mp0 = mPanels * mc / mChunks, mp1 = mPanels * (mc + 1) / mChunks;
        const int64_t panels = (cols + NR - 1) / NR;
        float* packed = ws.reserve(std::min(KC, K) * panels * NR);
        alignas(64) float tile[MR * NR];
        for (int64_t k0 = 0; k0 < K; k0 += KC) {
            const int64_t kc = std::min(KC, K - k0);
            const bool accumulate = k0 > 0 || g.accumulate, last = k0 + kc == K;
            packInput(g, k0, kc, j0, cols, ws, packed);
            for (int64_t mp = mp0; mp < mp1; ++mp) {
                const float* ap = a.data.get() + k0 * padded + mp * MR * kc;
                const int64_t m0 = mp * MR, rows = std::min(MR, M - m0);
                for (int64_t q = 0; q < panels; ++q) {
                    const int64_t c0 = j0 + q * NR, n = c0 / P;
                    const int64_t width = std::min(NR, j0 + cols - c0);
                    const float* bp = packed + q * kc * NR;
                    if (rows == MR && width == NR && (c0 + NR - 1) / P == n) {
                        float* c = g.y + (n * g.outChannels + g.outOffset + m0) * P + c0 % P;
                        microKernel(kc, ap, bp, c, P, accumulate, last ? (g.bias ? g.bias + m0 : nullptr) : nullptr,
                                    last && g.relu);
                    } else {
                        microKernel(kc, ap, bp, tile, NR, false, nullptr, false);
                        storeTile(g, tile, m0, rows, c0, width, accumulate, last);
                    }
                }
            }
        }
    }
}

namespace {
constexpr int64_t kMinWinogradTiles = 32;  // fewer tiles leave the GEMMs' 32-column panels half empty

// Reusable per-thread buffers: the transformed input and the GEMM results of a Winograd convolution.
std::vector<float>& scratch(int which, size_t n) {
    static thread_local std::vector<float> buffers[2];
    if (buffers[which].size() < n) buffers[which].resize(n);
    return buffers[which];
}
}  // namespace

bool winogradSuits(const Window& win, int64_t groups, int64_t N, int64_t OH, int64_t OW) {
    return win.kh == 3 && win.kw == 3 && win.sh == 1 && win.sw == 1 && win.dh == 1 && win.dw == 1 && groups == 1 &&
           N * ((OH + 1) / 2) * ((OW + 1) / 2) >= kMinWinogradTiles;
}

WinogradWeights packWinograd(const float* w, int64_t OC, int64_t IC) {
    // U = G g Gᵀ, G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]
    std::vector<float> u(static_cast<size_t>(16 * OC * IC));
    for (int64_t o = 0; o < OC; ++o)
        for (int64_t i = 0; i < IC; ++i) {
            const float* g = w + (o * IC + i) * 9;
            float t[4][3];  // G g
            for (int c = 0; c < 3; ++c) {
                t[0][c] = g[c];
                t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
                t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
                t[3][c] = g[6 + c];
            }
            for (int r = 0; r < 4; ++r) {
                const float v[4] = {t[r][0], 0.5f * (t[r][0] + t[r][1] + t[r][2]), 0.5f * (t[r][0] - t[r][1] + t[r][2]), t[r][2]};
                for (int c = 0; c < 4; ++c) u[static_cast<size_t>(((r * 4 + c) * OC + o) * IC + i)] = v[c];
            }
        }
    WinogradWeights out;
    for (int64_t xi = 0; xi < 16; ++xi) out.parts.push_back(packWeights(u.data() + xi * OC * IC, OC, IC));
    return out;
}

namespace {

// The transforms are written once for a scalar and for a SIMD vector of tiles (GCC's vector types
// have + and −), so the bulk of a row runs kLanes tiles at a time and the tail one by one.
template <typename T>
inline T loadAs(const float* p) {
    if constexpr (std::is_same_v<T, float>) return *p;
    else return vload(p);
}
template <typename T>
inline void storeAs(float* p, T v) {
    if constexpr (std::is_same_v<T, float>) *p = v;
    else vstore(p, v);
}
template <typename T>
inline T splat(float v) {
    if constexpr (std::is_same_v<T, float>) return v;
    else return vset(v);
}
template <typename T>
inline T maxZero(T v) {
    if constexpr (std::is_same_v<T, float>) return std::max(v, 0.0f);
    else return vmax(v, vzero());
}

// V = Bᵀ d B for the tiles starting at `tw`; `even[i]`/`odd[i]` hold row i's even and odd columns, so
// tile tw's columns 0…3 are even[tw], odd[tw], even[tw + 1], odd[tw + 1].
template <typename T>
inline void inputTiles(const float* const even[4], const float* const odd[4], int64_t tw, float* out, int64_t stride) {
    T d[4][4], t[4][4];
    for (int i = 0; i < 4; ++i) {
        d[i][0] = loadAs<T>(even[i] + tw);
        d[i][1] = loadAs<T>(odd[i] + tw);
        d[i][2] = loadAs<T>(even[i] + tw + 1);
        d[i][3] = loadAs<T>(odd[i] + tw + 1);
    }
    for (int j = 0; j < 4; ++j) {  // Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]
        t[0][j] = d[0][j] - d[2][j];
        t[1][j] = d[1][j] + d[2][j];
        t[2][j] = d[2][j] - d[1][j];
        t[3][j] = d[1][j] - d[3][j];
    }
    for (int i = 0; i < 4; ++i) {
        storeAs(out + (i * 4 + 0) * stride + tw, t[i][0] - t[i][2]);
        storeAs(out + (i * 4 + 1) * stride + tw, t[i][1] + t[i][2]);
        storeAs(out + (i * 4 + 2) * stride + tw, t[i][2] - t[i][1]);
        storeAs(out + (i * 4 + 3) * stride + tw, t[i][1] - t[i][3]);
    }
}

// Y = Aᵀ m A (+ bias, ReLU) for the tiles starting at `tw`, Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]; the
// two output rows' even and odd columns go to rows[0…3].
template <typename T>
inline void outputTiles(const float* in, int64_t stride, int64_t tw, float bias, bool relu, float* const rows[4]) {
    T s[2][4];
    for (int j = 0; j < 4; ++j) {
        const T a0 = loadAs<T>(in + (0 * 4 + j) * stride + tw), a1 = loadAs<T>(in + (1 * 4 + j) * stride + tw);
        const T a2 = loadAs<T>(in + (2 * 4 + j) * stride + tw), a3 = loadAs<T>(in + (3 * 4 + j) * stride + tw);
        s[0][j] = a0 + a1 + a2;
        s[1][j] = a1 - a2 - a3;
    }
    const T b = splat<T>(bias);
    for (int i = 0; i < 2; ++i) {
        T y0 = s[i][0] + s[i][1] + s[i][2] + b, y1 = s[i][1] - s[i][2] - s[i][3] + b;
        if (relu) y0 = maxZero(y0), y1 = maxZero(y1);
        storeAs(rows[2 * i] + tw, y0);
        storeAs(rows[2 * i + 1] + tw, y1);
    }
}

}  // namespace

void convWinograd(const WinogradWeights& wts, const ConvGemmArgs& g) {
    const int64_t C = g.inChannels, OC = g.outChannels, H = g.H, W = g.W;
    const int64_t tH = (g.OH + 1) / 2, tW = (g.OW + 1) / 2, tiles = g.N * tH * tW;
    const int64_t half = tW + 1 + kLanes;  // even or odd columns of a padded row, with slack for the vectors
    std::vector<float>& V = scratch(0, static_cast<size_t>(16 * C * tiles));
    std::vector<float>& M = scratch(1, static_cast<size_t>(16 * OC * tiles));
    float* v = V.data();
    float* m = M.data();
    // Input transform: V_ξ[c][t] = (Bᵀ d B)_ξ for every 4×4 tile d (stride 2) of the zero-padded input.
#pragma omp parallel
    {
        // One channel's padded plane (2·tH + 2 rows), each row split into its even and odd columns once.
        const int64_t rowsP = 2 * tH + 2;
        std::vector<float> split(static_cast<size_t>(rowsP * 2 * half), 0.0f);
#pragma omp for collapse(2) schedule(static)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t n = 0; n < g.N; ++n) {
                const float* plane = g.x + (n * C + c) * H * W;
                for (int64_t r = 0; r < rowsP; ++r) {
                    float* e = split.data() + r * 2 * half;
                    float* o = e + half;
                    const int64_t ih = r - g.pad.top;
                    if (ih < 0 || ih >= H) {
                        std::fill_n(e, 2 * half, 0.0f);
                        continue;
                    }
                    const float* src = plane + ih * W;
                    for (int64_t k = 0; k < half; ++k) {  // padded column 2k is input column 2k − left
                        const int64_t a = 2 * k - g.pad.left, b = a + 1;
                        e[k] = a >= 0 && a < W ? src[a] : 0.0f;
                        o[k] = b >= 0 && b < W ? src[b] : 0.0f;
                    }
                }
                for (int64_t th = 0; th < tH; ++th) {
                    const float* even[4];
                    const float* odd[4];
                    for (int i = 0; i < 4; ++i) {
                        even[i] = split.data() + (2 * th + i) * 2 * half;
                        odd[i] = even[i] + half;
                    }
                    float* out = v + c * tiles + (n * tH + th) * tW;
                    int64_t tw = 0;
                    for (; tw + kLanes <= tW; tw += kLanes) inputTiles<Vec>(even, odd, tw, out, C * tiles);
                    // The rest as one more vector overlapping the last (the same values written twice).
                    if (tw < tW && tW >= kLanes) inputTiles<Vec>(even, odd, tW - kLanes, out, C * tiles);
                    else
                        for (; tw < tW; ++tw) inputTiles<float>(even, odd, tw, out, C * tiles);
                }
            }
    }
    // 16 GEMMs M_ξ (OC × tiles) = U_ξ · V_ξ, one per thread at a time.
#pragma omp parallel for schedule(dynamic)
    for (int64_t xi = 0; xi < 16; ++xi)
        convGemm(wts.parts[static_cast<size_t>(xi)],
                 {v + xi * C * tiles, 1, C, 1, tiles, 0, Window{}, Pad4{}, m + xi * OC * tiles, OC, 1, tiles, 0, nullptr, false});
    // Output transform, bias and ReLU, then the two rows of each tile row interleaved into place.
#pragma omp parallel
    {
        std::vector<float> split(static_cast<size_t>(4 * half));
        float* rows[4];
        for (int i = 0; i < 4; ++i) rows[i] = split.data() + i * half;
#pragma omp for collapse(2) schedule(static)
        for (int64_t o = 0; o < OC; ++o)
            for (int64_t n = 0; n < g.N; ++n) {
                const float bias = g.bias ? g.bias[o] : 0.0f;
                float* yo = g.y + (n * g.outChannels + g.outOffset + o) * g.OH * g.OW;
                for (int64_t th = 0; th < tH; ++th) {
                    const float* in = m + o * tiles + (n * tH + th) * tW;
                    int64_t tw = 0;
                    const bool relu = g.relu && !g.accumulate;  // with a residual, the ReLU comes after the add
                    for (; tw + kLanes <= tW; tw += kLanes) outputTiles<Vec>(in, OC * tiles, tw, bias, relu, rows);
                    if (tw < tW && tW >= kLanes) outputTiles<Vec>(in, OC * tiles, tW - kLanes, bias, relu, rows);
                    else
                        for (; tw < tW; ++tw) outputTiles<float>(in, OC * tiles, tw, bias, relu, rows);
                    for (int64_t i = 0; i < 2 && 2 * th + i < g.OH; ++i) {
                        float* dst = yo + (2 * th + i) * g.OW;
                        const float* e = rows[2 * i];
                        const float* od = rows[2 * i + 1];
                        if (g.accumulate) {
                            for (int64_t c = 0; c < g.OW; ++c) {
                                const float v = dst[c] + (c % 2 ? od : e)[c / 2];
                                dst[c] = g.relu && v < 0 ? 0.0f : v;
                            }
                            continue;
                        }
                        for (int64_t c = 0; c + 1 < g.OW; c += 2) dst[c] = e[c / 2], dst[c + 1] = od[c / 2];
                        if (g.OW % 2) dst[g.OW - 1] = e[g.OW / 2];
                    }
                }
            }
    }
}

}  // namespace nw::layers
