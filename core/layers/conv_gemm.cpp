// Blocked GEMM for convolutions (the BLIS/GotoBLAS scheme): for a block of output positions, the
// im2col of a KC-row slice of the input is packed into NR-column panels that stay in L2; the packed
// weights stream through a register-blocked MR × NR micro-kernel whose A panel stays in L1.
#include "conv_gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "simd.h"

namespace nw::layers {
using namespace simd;
namespace {

// Register block: MR output channels × NR output positions (16 accumulators on AVX-512).
constexpr int64_t MR = 8, NR = kPanelColumns;
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

// One step k of the register block: acc += a[0…MR) (broadcast) × b[0…NR).
inline void rankOneUpdate(Vec (&acc)[MR][2], const float* a, const float* b) {
    const Vec b0 = vload(b), b1 = vload(b + kLanes);
#pragma GCC unroll 8
    for (int64_t r = 0; r < MR; ++r) {
        const Vec ar = vset(a[r]);
        acc[r][0] = vfma(ar, b0, acc[r][0]);
        acc[r][1] = vfma(ar, b1, acc[r][1]);
    }
}

// acc = A panel (kc × MR) · B panel (kc × NR); then stored to c (rows `ldc` apart): added to what is
// there when `accumulate`, plus the bias and ReLU when given.
inline void microKernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate,
                        const float* bias, bool relu) {
    Vec acc[MR][2];
#pragma GCC unroll 8
    for (int64_t r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = vzero();
    for (int64_t k = 0; k < kc; ++k, a += MR, b += NR) rankOneUpdate(acc, a, b);
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
            for (int64_t k = 0; k < kc; ++k)
                std::fill_n(out + q * kc * NR + k * NR + (end - c0), NR - (end - c0), 0.0f);
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
            } else {  // strided: columns t in [lo, hi) read iw0 + t·sw inside the row
                const int64_t sw = g.win.sw;
                const int64_t lo = std::min(iw0 >= 0 ? 0 : (sw - 1 - iw0) / sw, s.len);
                const int64_t hi = std::clamp<int64_t>(g.W - iw0 <= 0 ? 0 : (g.W - iw0 + sw - 1) / sw, lo, s.len);
                for (int64_t t = 0; t < lo; ++t) dst[t] = 0.0f;
                int64_t t = lo;
                if (sw == 2)  // the even elements of two vectors (ResNet's and AlexNet's strided stems)
                    for (; t + kLanes <= hi && iw0 + 2 * (t + kLanes) <= g.W; t += kLanes)
                        vstore(dst + t, evens(src + iw0 + 2 * t));
                for (; t < hi; ++t) dst[t] = src[iw0 + t * sw];
                for (t = hi; t < s.len; ++t) dst[t] = 0.0f;
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

// A small stride-1 convolution without im2col (LeNet's: packing the im2col costs more than the
// multiplies when there are few output channels). Each input channel is copied into a zero-padded
// plane read as one long row, so kernel tap (i, j) of output position q (in the padded width Wp) reads
// element q + i·dh·Wp + j·dw: the micro-kernel's B vectors are plain loads at a per-tap offset, and
// the columns past OW in each padded row are computed and dropped.
void convWide(const PackedMatrix& a, const ConvGemmArgs& g) {
    const int64_t M = a.rows, K = a.cols, taps = g.win.kh * g.win.kw, C = K / taps;
    const int64_t Hp = g.OH + (g.win.kh - 1) * g.win.dh, Wp = g.OW + (g.win.kw - 1) * g.win.dw;
    const int64_t P = g.OH * g.OW, span = (g.OH - 1) * Wp + g.OW, mPanels = (M + MR - 1) / MR, padded = mPanels * MR;
    // The padded input, NR floats of slack for the last vectors; per input row of K, its offset.
    std::vector<float>& planes = scratch(4, static_cast<size_t>(C * Hp * Wp + NR));
    std::vector<int64_t> offsets(static_cast<size_t>(K));
    for (int64_t k = 0; k < K; ++k)
        offsets[static_cast<size_t>(k)] =
            k / taps * Hp * Wp + k % taps / g.win.kw * g.win.dh * Wp + k % g.win.kw * g.win.dw;
    alignas(64) float tile[MR * NR];
    for (int64_t n = 0; n < g.N; ++n) {
        std::fill(planes.begin(), planes.end(), 0.0f);
        for (int64_t c = 0; c < C; ++c)
            for (int64_t h = 0; h < g.H; ++h) {
                const int64_t hp = h + g.pad.top;
                if (hp >= Hp) break;
                const float* src = g.x + ((n * g.inChannels + g.channelOffset + c) * g.H + h) * g.W;
                const int64_t lo = std::max<int64_t>(0, -g.pad.left), hi = std::min(g.W, Wp - g.pad.left);
                if (hp >= 0 && lo < hi)
                    std::copy(src + lo, src + hi, planes.data() + (c * Hp + hp) * Wp + g.pad.left + lo);
            }
        for (int64_t mp = 0; mp < mPanels; ++mp)
            for (int64_t q0 = 0; q0 < span; q0 += NR) {
                Vec acc[MR][2];
                for (int64_t r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = vzero();
                for (int64_t k0 = 0; k0 < K; k0 += KC) {
                    const int64_t kc = std::min(KC, K - k0);
                    const float* ap = a.data.get() + k0 * padded + mp * MR * kc;
                    for (int64_t k = 0; k < kc; ++k, ap += MR)
                        rankOneUpdate(acc, ap, planes.data() + offsets[static_cast<size_t>(k0 + k)] + q0);
                }
                for (int64_t r = 0; r < MR; ++r)
                    vstore(tile + r * NR, acc[r][0]), vstore(tile + r * NR + kLanes, acc[r][1]);
                // Scatter the padded-width positions that are outputs: runs within one padded row.
                for (int64_t q = q0; q < std::min(q0 + NR, span);) {
                    const int64_t oh = q / Wp, ow = q % Wp, len = std::min({g.OW - ow, q0 + NR - q, span - q});
                    if (len <= 0) {
                        q += Wp - ow;
                        continue;
                    }
                    for (int64_t r = 0; r < MR && mp * MR + r < M; ++r) {
                        const int64_t m = mp * MR + r;
                        const float bias = g.bias ? g.bias[m] : 0.0f;
                        float* y = g.y + (n * g.outChannels + g.outOffset + m) * P + oh * g.OW + ow;
                        const float* t = tile + r * NR + (q - q0);
                        for (int64_t i = 0; i < len; ++i) {
                            const float v = t[i] + bias + (g.accumulate ? y[i] : 0.0f);
                            y[i] = g.relu && v < 0 ? 0.0f : v;
                        }
                    }
                    q += len;
                }
            }
    }
}

}  // namespace

std::vector<float>& scratch(int which, size_t n) {
    static thread_local std::vector<float> buffers[8];
    if (buffers[which].size() < n) buffers[which].resize(n);
    return buffers[which];
}

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
    const bool alone = onCallerThreadOnly() || M * K * NT < kSharedGemmWork;
    if (alone && g.win.kh * g.win.kw > 1 && g.win.sh == 1 && g.win.sw == 1) return convWide(a, g);
    const int64_t threads = alone ? 1 : omp_get_max_threads();
    // Blocks of columns for the threads; when there are fewer blocks than threads, the threads also
    // split the output channels (each packs the same input block).
    // Few blocks are split evenly (392 columns are 224 + 168, not 384 + 8).
    int64_t nc = NC, nBlocks = (NT + nc - 1) / nc;
    if (nBlocks < 4 * threads) {
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

}  // namespace nw::layers
