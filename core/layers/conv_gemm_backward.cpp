// A convolution's backward pass on the forward's GEMM (conv_gemm.cpp): both products are plain
// matrix products, which the GEMM computes as 1×1 convolutions over row-major matrices.
#include <algorithm>
#include <vector>

#include "common.h"
#include "conv_gemm.h"
#include "simd.h"

namespace nw::layers {

namespace {

// C (rows × cols, row-major, `ldc` rows of the output from `offset`) = A · B, for packed A (rows × K)
// and row-major B (K × cols): a 1×1 convolution of one "sample" whose K channels are B's rows.
void multiply(const PackedMatrix& a, const float* b, int64_t cols, float* c, int64_t ldc, int64_t offset) {
    convGemm(a, {b, 1, a.cols, 1, cols, 0, Window{}, Pad4{}, c, ldc, 1, cols, offset, nullptr, false, false});
}

struct Geometry {
    int64_t C, H, W, OC, OH, OW, P, icg, ocg, taps, K;
    bool plain;  // 1×1, stride 1, unpadded: im2col(X) is X itself
};

// The outputs [lo, hi) whose window's tap `tap` falls inside the input (0 ≤ o·stride − pad + tap·dilation
// < size): the bounds checks leave the inner loops.
struct Span {
    int64_t lo, hi;
};
Span insideOutputs(int64_t tap, int64_t stride, int64_t pad, int64_t dilation, int64_t size, int64_t outputs) {
    const int64_t first = pad - tap * dilation;  // o·stride ≥ first
    const int64_t lo = first <= 0 ? 0 : (first + stride - 1) / stride;
    const int64_t last = size - 1 + pad - tap * dilation;  // o·stride ≤ last
    const int64_t hi = last < 0 ? 0 : std::min(outputs, last / stride + 1);
    return {lo, std::max(lo, hi)};
}

// dst (cols × rows, row stride ldd) = srcᵀ for src (rows × cols, row stride lds), in 16 × 16 blocks
// so that both sides stay in cache.
void transpose(const float* src, int64_t rows, int64_t cols, int64_t lds, float* dst, int64_t ldd) {
    constexpr int64_t kBlock = 16;
    for (int64_t r0 = 0; r0 < rows; r0 += kBlock)
        for (int64_t c0 = 0; c0 < cols; c0 += kBlock) {
            const int64_t r1 = std::min(rows, r0 + kBlock), c1 = std::min(cols, c0 + kBlock);
            for (int64_t c = c0; c < c1; ++c)
                for (int64_t r = r0; r < r1; ++r) dst[c * ldd + r] = src[r * lds + c];
        }
}

// im2col(X) of one sample and group: K = icg·kh·kw rows of P output positions, each row copied a
// run of output columns at a time.
void columns(const ConvBackwardArgs& g, const Geometry& d, const float* xs, float* out) {
    const Window& w = g.win;
    for (int64_t i = 0; i < w.kh; ++i) {
        const Span ro = insideOutputs(i, w.sh, g.pad.top, w.dh, d.H, d.OH);
        for (int64_t j = 0; j < w.kw; ++j) {
            const Span co = insideOutputs(j, w.sw, g.pad.left, w.dw, d.W, d.OW);
            for (int64_t c = 0; c < d.icg; ++c) {
                float* row = out + ((c * w.kh + i) * w.kw + j) * d.P;
                std::fill_n(row, ro.lo * d.OW, 0.0f);
                for (int64_t oh = ro.lo; oh < ro.hi; ++oh) {
                    float* dst = row + oh * d.OW;
                    const float* src =
                        xs + c * d.H * d.W + (oh * w.sh - g.pad.top + i * w.dh) * d.W - g.pad.left + j * w.dw;
                    std::fill_n(dst, co.lo, 0.0f);
                    if (w.sw == 1) std::copy(src + co.lo, src + co.hi, dst + co.lo);
                    else
                        for (int64_t ow = co.lo; ow < co.hi; ++ow) dst[ow] = src[ow * w.sw];
                    std::fill(dst + co.hi, dst + d.OW, 0.0f);
                }
                std::fill(row + ro.hi * d.OW, row + d.P, 0.0f);
            }
        }
    }
}

// im2col(X)ᵀ of samples [n0, n0 + nb) of one group: a row per output position, K columns (a plain
// convolution's is the input plane transposed).
void transposedColumns(const ConvBackwardArgs& g, const Geometry& d, int64_t group, int64_t n0, int64_t nb,
                       float* out) {
    const bool plain = d.plain;
    float* im2col = plain ? nullptr : scratch(7, static_cast<size_t>(d.K * d.P)).data();
    for (int64_t n = 0; n < nb; ++n) {
        const float* xs = g.x.ptr() + ((n0 + n) * d.C + group * d.icg) * d.H * d.W;
        if (!plain) columns(g, d, xs, im2col);
        transpose(plain ? xs : im2col, d.K, d.P, d.P, out + n * d.P * d.K, d.K);
    }
}

// Adds each column of im2col(dX) (sample-major: nb × K × P) onto the input position it came from.
void scatterColumns(const ConvBackwardArgs& g, const Geometry& d, int64_t group, int64_t n0, int64_t nb,
                    const float* cols) {
    const Window& w = g.win;
    std::vector<Span> rows(static_cast<size_t>(w.kh)), columns(static_cast<size_t>(w.kw));
    for (int64_t i = 0; i < w.kh; ++i)
        rows[static_cast<size_t>(i)] = insideOutputs(i, w.sh, g.pad.top, w.dh, d.H, d.OH);
    for (int64_t j = 0; j < w.kw; ++j)
        columns[static_cast<size_t>(j)] = insideOutputs(j, w.sw, g.pad.left, w.dw, d.W, d.OW);
    for (int64_t n = 0; n < nb; ++n)
        for (int64_t c = 0; c < d.icg; ++c) {
            float* plane = g.dx + ((n0 + n) * d.C + group * d.icg + c) * d.H * d.W;
            for (int64_t t = 0; t < d.taps; ++t) {
                const float* col = cols + (n * d.K + c * d.taps + t) * d.P;
                const int64_t i = t / w.kw, j = t % w.kw;
                const Span ro = rows[static_cast<size_t>(i)], co = columns[static_cast<size_t>(j)];
                for (int64_t oh = ro.lo; oh < ro.hi; ++oh) {
                    float* row = plane + (oh * w.sh - g.pad.top + i * w.dh) * d.W - g.pad.left + j * w.dw;
                    const float* src = col + oh * d.OW;
                    if (w.sw == 1)
                        for (int64_t ow = co.lo; ow < co.hi; ++ow) row[ow] += src[ow];
                    else
                        for (int64_t ow = co.lo; ow < co.hi; ++ow) row[ow * w.sw] += src[ow];
                }
            }
        }
}

}  // namespace

// Samples are split into at most 8 chunks whatever the thread count, computed in parallel, each
// with its own part of dW; the parts are summed in chunk order, so the result does not depend on
// the number of threads.
void convGemmBackward(const ConvBackwardArgs& g) {
    const Tensor& x = g.x;
    Geometry d{};
    d.C = x.shape[1], d.H = x.shape[2], d.W = x.shape[3];
    d.OC = g.dy.shape[1], d.OH = g.dy.shape[2], d.OW = g.dy.shape[3], d.P = d.OH * d.OW;
    d.icg = d.C / g.groups, d.ocg = d.OC / g.groups, d.taps = g.win.kh * g.win.kw, d.K = d.icg * d.taps;
    d.plain = d.taps == 1 && g.win.sh == 1 && g.win.sw == 1 && g.pad.top == 0 && g.pad.left == 0 && g.pad.bottom == 0 &&
              g.pad.right == 0;
    const int64_t N = x.shape[0];
    // A chunk's im2col (K × P per sample) within about 4 MB.
    const int64_t chunk =
        std::clamp<int64_t>(std::min((int64_t{1} << 20) / std::max<int64_t>(d.K * d.P, 1), (N + 7) / 8), 1, N);
    const int64_t chunks = (N + chunk - 1) / chunk;
    std::vector<float> parts(g.dw ? static_cast<size_t>(chunks * d.ocg * d.K) : 0);
    for (int64_t group = 0; group < g.groups; ++group) {
        PackedMatrix wT;  // Wᵀ of the group: K × ocg
        if (g.dx) {
            std::vector<float> t(static_cast<size_t>(d.K * d.ocg));
            for (int64_t o = 0; o < d.ocg; ++o)
                for (int64_t k = 0; k < d.K; ++k)
                    t[static_cast<size_t>(k * d.ocg + o)] = g.w.ptr()[(group * d.ocg + o) * d.K + k];
            wT = packWeights(t.data(), d.K, d.ocg);
        }
#pragma omp parallel for schedule(dynamic) if (chunks > 1)
        for (int64_t ci = 0; ci < chunks; ++ci) {
            const int64_t n0 = ci * chunk, nb = std::min(chunk, N - n0);
            // Per-thread scratch, kept between steps: fresh pages would be zeroed by the kernel each time.
            float* cols = scratch(5, static_cast<size_t>(nb * d.K * d.P)).data();
            if (g.dw) {
                // dW part (ocg × K) = dY (ocg × nb·P) · im2col(X)ᵀ (nb·P × K).
                float* rows = scratch(6, static_cast<size_t>(d.ocg * nb * d.P)).data();
                for (int64_t o = 0; o < d.ocg; ++o)
                    for (int64_t n = 0; n < nb; ++n)
                        std::copy_n(g.dy.ptr() + ((n0 + n) * d.OC + group * d.ocg + o) * d.P, d.P,
                                    rows + (o * nb + n) * d.P);
                const PackedMatrix dyRows = packWeights(rows, d.ocg, nb * d.P);
                transposedColumns(g, d, group, n0, nb, cols);
                multiply(dyRows, cols, d.K, parts.data() + ci * d.ocg * d.K, d.ocg, 0);
            }
            if (g.dx && d.plain) {
                // dX += Wᵀ · dY straight into the input's channels of the group.
                convGemm(wT, {g.dy.ptr() + n0 * d.OC * d.P, nb, d.OC, d.OH, d.OW, group * d.ocg, Window{}, Pad4{},
                              g.dx + n0 * d.C * d.P, d.C, d.OH, d.OW, group * d.icg, nullptr, false, true});
            } else if (g.dx) {
                // im2col(dX) (K × P per sample) = Wᵀ · dY, then each column added onto the input it came from.
                convGemm(wT, {g.dy.ptr() + n0 * d.OC * d.P, nb, d.OC, d.OH, d.OW, group * d.ocg, Window{}, Pad4{}, cols,
                              d.K, d.OH, d.OW, 0, nullptr, false, false});
                scatterColumns(g, d, group, n0, nb, cols);
            }
        }
        if (g.dw)
            for (int64_t ci = 0; ci < chunks; ++ci)
                for (int64_t o = 0; o < d.ocg; ++o) {
                    float* to = g.dw + (group * d.ocg + o) * d.K;
                    const float* from = parts.data() + (ci * d.ocg + o) * d.K;
                    for (int64_t k = 0; k < d.K; ++k) to[k] += from[k];
                }
    }
    if (!g.db) return;
#pragma omp parallel for schedule(static) if (N * d.OC * d.P >= kParallelWork)
    for (int64_t oc = 0; oc < d.OC; ++oc) {
        // Whole vectors in float lanes over every sample, the lanes and the tails in double: one
        // reduction of the lanes per channel, not per small plane.
        simd::Vec lanes = simd::vzero();
        double tail = 0;
        for (int64_t n = 0; n < N; ++n) {
            const float* p = g.dy.ptr() + (n * d.OC + oc) * d.P;
            int64_t k = 0;
            for (; k + simd::kLanes <= d.P; k += simd::kLanes) lanes = simd::vadd(lanes, simd::vload(p + k));
            for (; k < d.P; ++k) tail += p[k];
        }
        g.db[oc] += static_cast<float>(simd::lanesTotal(lanes) + tail);
    }
}

}  // namespace nw::layers
